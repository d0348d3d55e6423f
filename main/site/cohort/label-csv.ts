// Reading a labels CSV (RFC 4180, by the one CSV reader in shared/csv-text.ts). The header says which
// key the file uses: accession_number or study_instance_uid, next to label. Errors name lines and
// columns, never a cell's value: the cells are accession numbers and UIDs.
import {
  CsvTextError,
  decodeCsvBytes,
  parseCsvRecords,
  type CsvRecord,
  type CsvTextProblem,
} from '../../../shared/csv-text.ts';
import { CohortError } from './cohort-error.ts';

export type LabelKey = 'accession' | 'study-uid';

export interface LabelRow {
  line: number;
  /** The raw key (accession number or Study Instance UID): hash it, never store or log it. */
  key: string;
  label: string;
}

export interface LabelTable {
  key: LabelKey;
  rows: LabelRow[];
  /** Records that are not a key and a label: wrong number of fields, or an empty cell. */
  malformed: { line: number; reason: string }[];
}

const KEY_COLUMNS: Record<LabelKey, string> = {
  accession: 'accession_number',
  'study-uid': 'study_instance_uid',
};

/** Decodes the bytes of a CSV file: UTF-8 (with or without a byte order mark), or a clear error. */
export function decodeCsv(bytes: Uint8Array, name: string): string {
  try {
    return decodeCsvBytes(bytes, { latin1: false }).text;
  } catch (error) {
    throw cohortErrorFor(error, name);
  }
}

/**
 * Splits CSV text into records (the one CSV reader, shared/csv-text.ts). The delimiter is a comma, or
 * a semicolon when the header has no comma.
 */
export function parseCsv(text: string): CsvRecord[] {
  try {
    return parseCsvRecords(text, { delimiter: 'comma-or-semicolon' });
  } catch (error) {
    throw cohortErrorFor(error, 'The labels file');
  }
}

function cohortErrorFor(error: unknown, name: string): unknown {
  if (!(error instanceof CsvTextError)) return error;
  const sentence: Record<CsvTextProblem, string> = {
    'utf-16': `${name} is UTF-16 text. Save it as "CSV UTF-8" (or plain ASCII) and import it again.`,
    'nul-bytes': `${name} holds NUL bytes, so it is not a text file (or is UTF-16). Save it as "CSV UTF-8" and import it again.`,
    'not-utf-8': `${name} is not UTF-8 text (perhaps Windows-1252 or Latin-1). Save it as "CSV UTF-8" and import it again.`,
    'not-utf-8-or-latin1': `${name} is not UTF-8 text (perhaps Windows-1252 or Latin-1). Save it as "CSV UTF-8" and import it again.`,
    'unclosed-quote': `A quoted field that starts on line ${error.line} is never closed. Check the quotes in the file.`,
  };
  return new CohortError('bad-csv', sentence[error.problem]);
}

/**
 * Reads a labels table. The header must have `label` and a key column (`accession_number` or
 * `study_instance_uid`); `key` picks one when the header has both, and must agree with the header.
 */
export function readLabelTable(text: string, key?: LabelKey): LabelTable {
  const records = parseCsv(text);
  const header = records[0];
  const expected = 'accession_number,label or study_instance_uid,label';
  if (!header)
    throw new CohortError('bad-columns', `The labels file is empty. Its header should be ${expected}.`);
  const names = header.fields.map((f) => f.trim().toLowerCase());
  const known = new Set([...Object.values(KEY_COLUMNS), 'label']);
  const unknown = names.filter((n) => !known.has(n));
  const repeated = names.filter((n, i) => known.has(n) && names.indexOf(n) !== i);
  if (unknown.length > 0 || repeated.length > 0 || !names.includes('label')) {
    const what = [
      // Column names are not quoted back: a file without a header would put its first row here.
      unknown.length > 0 ? `${unknown.length} column(s) it does not know` : '',
      repeated.length > 0 ? `repeated columns ${repeated.join(', ')}` : '',
      names.includes('label') ? '' : 'no label column',
    ].filter(Boolean);
    throw new CohortError(
      'bad-columns',
      `The labels file's first line has ${what.join(' and ')}. The first line must be the header: ${expected}.`,
    );
  }
  const present = (Object.keys(KEY_COLUMNS) as LabelKey[]).filter((k) => names.includes(KEY_COLUMNS[k]));
  let chosen: LabelKey;
  if (key !== undefined) {
    if (!present.includes(key)) {
      throw new CohortError(
        'bad-columns',
        `--key ${key} needs a ${KEY_COLUMNS[key]} column, and the labels file has none. The header should be ${expected}.`,
      );
    }
    chosen = key;
  } else if (present.length === 1) {
    chosen = present[0]!;
  } else if (present.length === 0) {
    throw new CohortError(
      'bad-columns',
      `The labels file has no key column. The header should be ${expected}.`,
    );
  } else {
    throw new CohortError(
      'bad-columns',
      'The labels file has both accession_number and study_instance_uid: say which to match on with --key accession or --key study-uid.',
    );
  }
  const keyAt = names.indexOf(KEY_COLUMNS[chosen]);
  const labelAt = names.indexOf('label');
  const table: LabelTable = { key: chosen, rows: [], malformed: [] };
  for (const record of records.slice(1)) {
    if (record.fields.length !== names.length) {
      table.malformed.push({
        line: record.line,
        reason: `has ${record.fields.length} fields where the header has ${names.length}`,
      });
      continue;
    }
    const keyValue = record.fields[keyAt]!.trim();
    const label = record.fields[labelAt]!.trim();
    if (keyValue === '' || label === '') {
      table.malformed.push({ line: record.line, reason: keyValue === '' ? 'has no key' : 'has no label' });
      continue;
    }
    table.rows.push({ line: record.line, key: keyValue, label });
  }
  return table;
}
