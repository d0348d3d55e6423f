// Reads a consent export from the hospital's consent system: a header, then one row per decision,
// `patient_id,status,date[,scope]` (a withdrawal list: `patient_id[,date]`). Every row is checked
// before anything is recorded, and every problem is reported by line, so a file is taken whole or
// not at all. Problems never quote a value: a shifted column can put a patient ID anywhere.
import { ConsentError, type CsvProblem } from './consent-error.ts';
import { isConsentStatus, MAX_SCOPE_LENGTH, normalizeScope, type ConsentStatus } from './consent-policy.ts';
import { decodeCsv, parseConsentRecords, type CsvEncoding } from './csv-text.ts';

/** One checked row. `patientId` lives only in memory: it is hashed before anything is stored. */
export interface ConsentRow {
  line: number;
  patientId: string;
  status: ConsentStatus;
  date: string;
  /** Normalised; '' when the row speaks for every use. */
  scope: string;
}

export interface ConsentCsv {
  rows: ConsentRow[];
  encoding: CsvEncoding;
}

export type ConsentCsvKind = 'decisions' | 'withdrawals';

const COLUMNS: Record<ConsentCsvKind, { required: string[]; optional: string[] }> = {
  decisions: { required: ['patient_id', 'status', 'date'], optional: ['scope'] },
  withdrawals: { required: ['patient_id'], optional: ['date'] },
};

/** DICOM LO, the VR of Patient ID (0010,0020): at most 64 characters, no backslash or control character. */
const MAX_PATIENT_ID_LENGTH = 64;
// eslint-disable-next-line no-control-regex
const BAD_ID_CHARACTER = /[\\\u0000-\u001f\u007f]/;

export function readConsentCsv(bytes: Uint8Array, kind: ConsentCsvKind, today: string): ConsentCsv {
  const { text, encoding } = decodeCsv(bytes);
  const records = parseConsentRecords(text);
  const header = records[0];
  const { required, optional } = COLUMNS[kind];
  const expected = `${required.join(',')}${optional.map((c) => `[,${c}]`).join('')}`;
  if (header === undefined) {
    throw new ConsentError('bad-csv', `The consent file is empty. It needs the header ${expected} and rows.`);
  }
  const columns = readHeader(header.fields, required, optional, expected);
  const problems: CsvProblem[] = [];
  const rows: ConsentRow[] = [];
  const seen = new Map<string, ConsentRow>();
  for (const record of records.slice(1)) {
    const row = readRow(record.line, record.fields, columns, kind, today, problems);
    if (row === null) continue;
    // Two rows for one patient, scope and date: a repeat is a mistake in the export, and two
    // statuses on one date cannot be ordered, so neither can be recorded.
    const key = JSON.stringify([row.patientId, row.scope, row.date]);
    const earlier = seen.get(key);
    if (earlier !== undefined) {
      problems.push({
        row: row.line,
        message:
          earlier.status === row.status
            ? `repeats line ${earlier.line} (same patient, status and date); remove one of them`
            : `conflicts with line ${earlier.line}: same patient, scope and date, another status; keep the right one`,
      });
      continue;
    }
    seen.set(key, row);
    rows.push(row);
  }
  if (problems.length > 0) {
    throw new ConsentError(
      'bad-csv',
      `The consent file has ${problems.length} ${problems.length === 1 ? 'problem' : 'problems'}; nothing was imported. Correct the file and import it again:`,
      problems,
    );
  }
  if (rows.length === 0) {
    throw new ConsentError('bad-csv', 'The consent file has a header but no rows; nothing was imported.');
  }
  return { rows, encoding };
}

function readHeader(
  fields: string[],
  required: string[],
  optional: string[],
  expected: string,
): Map<string, number> {
  const names = fields.map((f) => f.trim().toLowerCase());
  if (names.length === 1 && names[0]?.includes(';')) {
    throw new ConsentError(
      'bad-csv',
      `The consent file separates columns with ";" rather than ",". Export it as comma-separated CSV with the header ${expected}.`,
    );
  }
  const columns = new Map<string, number>();
  for (const [i, name] of names.entries()) {
    if (!required.includes(name) && !optional.includes(name)) {
      throw new ConsentError(
        'bad-csv',
        `Line 1 must be the header ${expected}; its column ${i + 1} is none of these (is the header missing, or a column extra?).`,
      );
    }
    if (columns.has(name)) {
      throw new ConsentError('bad-csv', `The header names the column ${name} twice. Keep one.`);
    }
    columns.set(name, i);
  }
  const missing = required.filter((name) => !columns.has(name));
  if (missing.length > 0) {
    throw new ConsentError(
      'bad-csv',
      `The header lacks the ${missing.length === 1 ? 'column' : 'columns'} ${missing.join(', ')}; it must be ${expected}.`,
    );
  }
  return columns;
}

function readRow(
  line: number,
  fields: string[],
  columns: Map<string, number>,
  kind: ConsentCsvKind,
  today: string,
  problems: CsvProblem[],
): ConsentRow | null {
  const before = problems.length;
  const problem = (message: string) => problems.push({ row: line, message });
  if (fields.length !== columns.size) {
    problem(
      `has ${fields.length} ${fields.length === 1 ? 'field' : 'fields'}; the header has ${columns.size}`,
    );
    return null;
  }
  const field = (name: string): string | undefined => {
    const index = columns.get(name);
    return index === undefined ? undefined : (fields[index] ?? '').trim();
  };
  // Trimmed as the de-identification engine trims the Patient ID it hashes, so the pseudonyms match.
  const patientId = field('patient_id') ?? '';
  if (patientId === '') problem('the patient_id is empty');
  else if (patientId.length > MAX_PATIENT_ID_LENGTH) {
    problem(
      `the patient_id is longer than ${MAX_PATIENT_ID_LENGTH} characters, the most a DICOM Patient ID holds`,
    );
  } else if (BAD_ID_CHARACTER.test(patientId)) {
    problem('the patient_id holds a backslash or a control character, which a DICOM Patient ID cannot');
  }

  let status: string = 'withdrawn';
  if (kind === 'decisions') {
    status = (field('status') ?? '').toLowerCase();
    if (!isConsentStatus(status)) problem('the status is not one of granted, refused, withdrawn');
  }

  const date = field('date') ?? (kind === 'withdrawals' ? today : '');
  const dateProblem = checkConsentDate(date, today);
  if (dateProblem) problem(dateProblem);

  const rawScope = field('scope') ?? '';
  if (rawScope.length > MAX_SCOPE_LENGTH) problem(`the scope is longer than ${MAX_SCOPE_LENGTH} characters`);

  if (problems.length > before || !isConsentStatus(status)) return null;
  return { line, patientId, status, date, scope: normalizeScope(rawScope) };
}

/** Why `date` cannot be a consent date, or null when it can: a real calendar day, not after today. */
export function checkConsentDate(date: string, today: string): string | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (match === null) return 'the date is not in the form YYYY-MM-DD (e.g. 2024-03-31)';
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const parsed = new Date(Date.UTC(year, month - 1, day));
  if (year < 1900 || parsed.getUTCMonth() !== month - 1 || parsed.getUTCDate() !== day) {
    return 'the date is not a real calendar day';
  }
  if (date > today) return 'the date is in the future';
  return null;
}
