// A consent export as text: its encoding found (UTF-8, with or without a byte-order mark, or Latin-1
// as older Windows exports write it), then split into records by RFC 4180's rules (quoted fields may
// hold commas, quotes and line breaks).
import { ConsentError } from './consent-error.ts';

export type CsvEncoding = 'utf-8' | 'latin1';

export interface CsvRecord {
  /** The line the record starts on, 1-based. */
  line: number;
  fields: string[];
}

const UTF8_BOM = [0xef, 0xbb, 0xbf];

export function decodeCsv(bytes: Uint8Array): { text: string; encoding: CsvEncoding } {
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    throw new ConsentError(
      'bad-encoding',
      'The consent file is UTF-16 (as Excel\'s "Unicode text" writes it). Save it as "CSV UTF-8" and import it again.',
    );
  }
  const start = UTF8_BOM.every((b, i) => bytes[i] === b) ? 3 : 0;
  const body = bytes.subarray(start);
  if (body.includes(0)) {
    throw new ConsentError(
      'bad-encoding',
      'The consent file holds NUL bytes, so it is not a text file (or is UTF-16). Export it as CSV in UTF-8 and import it again.',
    );
  }
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(body), encoding: 'utf-8' };
  } catch {
    // Not UTF-8. Latin-1 (ISO 8859-1) has no printable characters in 0x80-0x9F: bytes there mean
    // Windows-1252 or another code page, which would be guessed, not known.
    if (body.some((b) => b >= 0x80 && b <= 0x9f)) {
      throw new ConsentError(
        'bad-encoding',
        'The consent file is neither UTF-8 nor Latin-1 (ISO 8859-1), so its patient IDs cannot be read for certain. Save it as "CSV UTF-8" and import it again.',
      );
    }
    return { text: new TextDecoder('latin1').decode(body), encoding: 'latin1' };
  }
}

/** Splits CSV text into records; blank lines are skipped. */
export function parseCsvRecords(text: string): CsvRecord[] {
  const records: CsvRecord[] = [];
  let fields: string[] = [];
  let field = '';
  let line = 1;
  let recordLine = 1;
  let quoted = false;
  let fieldStarted = false;
  const endRecord = () => {
    fields.push(field);
    if (fields.length > 1 || fields[0]?.trim() !== '') records.push({ line: recordLine, fields });
    fields = [];
    field = '';
    fieldStarted = false;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') {
        quoted = false;
      } else {
        if (c === '\n') line++;
        field += c;
      }
    } else if (c === '"' && !fieldStarted) {
      quoted = true;
      fieldStarted = true;
    } else if (c === ',') {
      fields.push(field);
      field = '';
      fieldStarted = false;
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      endRecord();
      line++;
      recordLine = line;
    } else {
      field += c;
      if (c !== ' ' && c !== '\t') fieldStarted = true;
    }
  }
  if (quoted) {
    throw new ConsentError(
      'bad-csv',
      `The consent file has a quoted field that never ends (it starts on line ${recordLine}). Check the quotes on that line.`,
    );
  }
  if (field !== '' || fields.length > 0) endRecord();
  return records;
}
