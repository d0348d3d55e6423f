// The one CSV reader: a hospital export's bytes decoded (UTF-8, with or without a byte-order mark, and
// Latin-1 where the caller accepts it, as older Windows exports write it), then split into records by
// RFC 4180's rules (quoted fields may hold delimiters, doubled quotes and line breaks). Pure: no Node
// imports, so any process may use it. Its errors name a problem and a line, never a cell's value (cells
// are patient IDs and accession numbers); each caller words them for its own file.
import { RadfedError } from './errors.ts';

export type CsvEncoding = 'utf-8' | 'latin1';

export interface CsvRecord {
  /** The line the record starts on, 1-based, as a spreadsheet numbers it. */
  line: number;
  fields: string[];
}

export type CsvTextProblem =
  /** A UTF-16 byte-order mark (Excel's "Unicode text"). */
  | 'utf-16'
  /** NUL bytes: not a text file, or UTF-16 without a mark. */
  | 'nul-bytes'
  /** Not UTF-8, and Latin-1 was not accepted. */
  | 'not-utf-8'
  /** Neither UTF-8 nor Latin-1 (bytes 0x80-0x9F mean another code page, which would be a guess). */
  | 'not-utf-8-or-latin1'
  /** A quoted field that never ends; `line` is where its record starts. */
  | 'unclosed-quote';

/** The reader's problem as a code; its message is terse on purpose, as each caller words it for a person. */
export class CsvTextError extends RadfedError<CsvTextProblem> {
  override readonly name = 'CsvTextError';
  constructor(
    readonly problem: CsvTextProblem,
    readonly line?: number,
  ) {
    super(
      problem,
      line === undefined ? `CSV text: ${problem}` : `CSV text: ${problem} (record starting on line ${line})`,
    );
  }
}

const UTF8_BOM = [0xef, 0xbb, 0xbf];

/** Decodes a CSV file's bytes; `latin1` says whether text that is not UTF-8 may be read as ISO 8859-1. */
export function decodeCsvBytes(
  bytes: Uint8Array,
  options: { latin1: boolean },
): { text: string; encoding: CsvEncoding } {
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    throw new CsvTextError('utf-16');
  }
  const body = UTF8_BOM.every((b, i) => bytes[i] === b) ? bytes.subarray(3) : bytes;
  if (body.includes(0)) throw new CsvTextError('nul-bytes');
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(body), encoding: 'utf-8' };
  } catch {
    if (!options.latin1) throw new CsvTextError('not-utf-8');
    // Latin-1 has no printable characters in 0x80-0x9F: bytes there mean Windows-1252 or another
    // code page, which would be guessed, not known.
    if (body.some((b) => b >= 0x80 && b <= 0x9f)) throw new CsvTextError('not-utf-8-or-latin1');
    return { text: new TextDecoder('latin1').decode(body), encoding: 'latin1' };
  }
}

export interface CsvParseOptions {
  /**
   * `','`, or `'comma-or-semicolon'`: a semicolon when the first line has none of the commas and some
   * semicolons (spreadsheets in locales with a decimal comma write that).
   */
  delimiter: ',' | 'comma-or-semicolon';
}

/**
 * Splits CSV text into records. Line ends are CRLF, LF or a lone CR (old Mac exports); blank lines
 * are skipped; spaces before an opening quote are dropped. Fields are not trimmed.
 */
export function parseCsvRecords(text: string, options: CsvParseOptions = { delimiter: ',' }): CsvRecord[] {
  const delimiter = options.delimiter === ',' ? ',' : pickDelimiter(text);
  const records: CsvRecord[] = [];
  let fields: string[] = [];
  let field = '';
  let line = 1;
  let recordLine = 1;
  let quoted = false;
  // True once the field has a character other than a space or tab, or an opening quote: a quote after
  // that is an ordinary character.
  let fieldStarted = false;
  const endField = (): void => {
    fields.push(field);
    field = '';
    fieldStarted = false;
  };
  const endRecord = (): void => {
    endField();
    if (fields.length > 1 || fields[0]!.trim() !== '') records.push({ line: recordLine, fields });
    fields = [];
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') {
        quoted = false;
      } else {
        if (c === '\n' || (c === '\r' && text[i + 1] !== '\n')) line++;
        field += c;
      }
    } else if (c === '"' && !fieldStarted) {
      field = '';
      quoted = true;
      fieldStarted = true;
    } else if (c === delimiter) {
      endField();
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
  if (quoted) throw new CsvTextError('unclosed-quote', recordLine);
  if (field !== '' || fields.length > 0) endRecord();
  return records;
}

function pickDelimiter(text: string): ',' | ';' {
  const end = text.search(/[\r\n]/);
  const header = end < 0 ? text : text.slice(0, end);
  return !header.includes(',') && header.includes(';') ? ';' : ',';
}

/** One field for a CSV file we write: quoted when it holds a comma, a quote or a line break. */
export function formatCsvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}
