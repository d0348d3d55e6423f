// Test support for the log-safety specs of every room: an identifier and a path planted in errors the
// way Node, SQLite and JSON.parse raise them, and a check that none of it came out.

// What a hospital export looks like: the patient's name and a study UID in the path, so that any error
// quoting the path quotes them too.
export const PLANTED_NAME = 'Doe^Johnathan';
export const PLANTED_UID = '1.2.840.113619.2.55.3.604688119.969.1268071029.320';
export const PLANTED_PATH = `/srv/import/${PLANTED_NAME}/${PLANTED_UID}/IM0001.dcm`;

/** Errors as Node, SQLite, JSON.parse and a library raise them: each quotes its input. */
export function foreignErrorsQuotingInput(): Error[] {
  const enoent = Object.assign(new Error(`ENOENT: no such file or directory, open '${PLANTED_PATH}'`), {
    code: 'ENOENT',
    errno: -2,
    syscall: 'open',
    path: PLANTED_PATH,
  });
  let syntax: Error = new Error('JSON.parse did not throw');
  try {
    JSON.parse(`{"PatientName": ${PLANTED_NAME}}`);
  } catch (error) {
    syntax = error as Error;
  }
  const typeError = new TypeError(`Cannot read the value of ${PLANTED_NAME} at ${PLANTED_PATH}`);
  const sqlite = Object.assign(new Error(`UNIQUE constraint failed: instances.sop_uid (${PLANTED_UID})`), {
    code: 'SQLITE_CONSTRAINT_UNIQUE',
  });
  return [enoent, syntax, typeError, sqlite];
}

export function carriesPlanted(value: unknown): boolean {
  const text = JSON.stringify(value) ?? String(value);
  // 'Doe^John': V8 quotes only a window of the text JSON.parse could not read.
  return text.includes('Doe^John') || text.includes(PLANTED_UID) || text.includes('/srv/import');
}
