// The consent export reader on real bytes: encodings, header, rows. Every bad file is refused whole,
// with a problem per line that never repeats a patient ID.
import { describe, expect, it } from 'vitest';
import { readConsentCsv } from './consent-csv.ts';
import { ConsentError } from './consent-error.ts';

const TODAY = '2026-04-05';
const utf8 = (text: string) => new TextEncoder().encode(text);
const latin1 = (text: string) => Uint8Array.from([...text].map((c) => c.charCodeAt(0)));

function refusal(bytes: Uint8Array, kind: 'decisions' | 'withdrawals' = 'decisions'): ConsentError {
  try {
    readConsentCsv(bytes, kind, TODAY);
  } catch (error) {
    if (error instanceof ConsentError) return error;
    throw error;
  }
  throw new Error('the file was accepted');
}

describe('reading a consent export', () => {
  it('reads rows, trims values, lower-cases statuses and scopes, and accepts CRLF and quotes', () => {
    const csv = readConsentCsv(
      utf8(
        'Patient_ID, Status ,date,scope\r\n' +
          ' PAT-001 ,Granted,2024-01-31,\r\n' +
          '"PAT,002",refused,2023-12-01,"Chest  Imaging Research"\r\n\r\n',
      ),
      'decisions',
      TODAY,
    );
    expect(csv.encoding).toBe('utf-8');
    expect(csv.rows).toEqual([
      { line: 2, patientId: 'PAT-001', status: 'granted', date: '2024-01-31', scope: '' },
      {
        line: 3,
        patientId: 'PAT,002',
        status: 'refused',
        date: '2023-12-01',
        scope: 'chest imaging research',
      },
    ]);
  });

  it('accepts columns in any order, and UTF-8 with a byte-order mark', () => {
    const csv = readConsentCsv(
      utf8('\ufeffdate,patient_id,status\n2024-02-29,MÜLLER7,withdrawn\n'),
      'decisions',
      TODAY,
    );
    expect(csv.rows[0]).toMatchObject({ patientId: 'MÜLLER7', status: 'withdrawn', date: '2024-02-29' });
  });

  it('detects Latin-1 and reads its characters as the DICOM file would (ISO_IR 100)', () => {
    const csv = readConsentCsv(
      latin1('patient_id,status,date\nMÜLLER7,granted,2024-01-01\n'),
      'decisions',
      TODAY,
    );
    expect(csv.encoding).toBe('latin1');
    expect(csv.rows[0]?.patientId).toBe('MÜLLER7');
  });

  it('refuses UTF-16, and bytes that are neither UTF-8 nor Latin-1, with a sentence on how to save it', () => {
    const utf16 = Uint8Array.from([0xff, 0xfe, ...latin1('p\0a\0')]);
    expect(refusal(utf16)).toMatchObject({
      code: 'bad-encoding',
      message: expect.stringMatching(/UTF-16.*CSV UTF-8/),
    });
    const cp1252 = Uint8Array.from([
      ...latin1('patient_id,status,date\nA'),
      0x80,
      ...latin1(',granted,2024-01-01\n'),
    ]);
    expect(refusal(cp1252)).toMatchObject({
      code: 'bad-encoding',
      message: expect.stringMatching(/CSV UTF-8/),
    });
  });

  it('requires the header and names what it must be', () => {
    expect(refusal(utf8('')).message).toMatch(/empty.*patient_id,status,date\[,scope\]/);
    const noHeader = refusal(utf8('SECRET-ID-1,granted,2024-01-01\n'));
    expect(noHeader.message).toMatch(
      /Line 1 must be the header patient_id,status,date\[,scope\].*header missing/,
    );
    expect(noHeader.message).not.toContain('SECRET-ID-1');
    expect(refusal(utf8('patient_id,status\nA,granted\n')).message).toMatch(/lacks the column date/);
    expect(refusal(utf8('patient_id,status,date,ward\n')).message).toMatch(/column 4 is none of these/);
    expect(refusal(utf8('patient_id;status;date\nA;granted;2024-01-01\n')).message).toMatch(/";"/);
    expect(refusal(utf8('patient_id,status,date\n')).message).toMatch(/no rows/);
  });

  it('reports every bad row by line, and never quotes a value from the file', () => {
    const unterminated = refusal(
      utf8('patient_id,status,date\nA,granted,2024-01-01\n"SECRET-H,granted,2024-01-01\n'),
    );
    expect(unterminated).toMatchObject({
      code: 'bad-csv',
      message: expect.stringMatching(/quoted field that never ends.*line 3/),
    });
    expect(unterminated.message).not.toContain('SECRET');

    const rows = refusal(
      utf8(
        [
          'patient_id,status,date',
          'SECRET-A,granted,2024-01-01',
          'SECRET-B,grnted,2024-01-01',
          'SECRET-C,granted,31/01/2024',
          'SECRET-D,granted,2023-02-29',
          'SECRET-E,granted,2030-01-01',
          'SECRET-F,granted',
          ',refused,2024-01-01',
          'SECRET-A,granted,2024-01-01',
          'SECRET-A,refused,2024-01-01',
          `${'X'.repeat(65)},granted,2024-01-01`,
          'SECRET\\G,granted,2024-01-01',
        ].join('\n'),
      ),
    );
    expect(rows.problems.map((p) => [p.row, p.message])).toEqual([
      [3, 'the status is not one of granted, refused, withdrawn'],
      [4, 'the date is not in the form YYYY-MM-DD (e.g. 2024-03-31)'],
      [5, 'the date is not a real calendar day'],
      [6, 'the date is in the future'],
      [7, 'has 2 fields; the header has 3'],
      [8, 'the patient_id is empty'],
      [9, 'repeats line 2 (same patient, status and date); remove one of them'],
      [10, 'conflicts with line 2: same patient, scope and date, another status; keep the right one'],
      [11, 'the patient_id is longer than 64 characters, the most a DICOM Patient ID holds'],
      [12, 'the patient_id holds a backslash or a control character, which a DICOM Patient ID cannot'],
    ]);
    expect(rows.message).toMatch(/^The consent file has 10 problems; nothing was imported/);
    expect(rows.message).toContain('line 9: repeats line 2');
    expect(rows.message).not.toMatch(/SECRET|XXXX|grnted|31\/01/);
  });

  it('a same-date pair for different scopes is no conflict', () => {
    const csv = readConsentCsv(
      utf8('patient_id,status,date,scope\nA,granted,2024-01-01,chest\nA,refused,2024-01-01,genetics\n'),
      'decisions',
      TODAY,
    );
    expect(csv.rows).toHaveLength(2);
  });

  it('reads a withdrawal list: patient_id with an optional date (default today)', () => {
    expect(readConsentCsv(utf8('patient_id\nA\nB\n'), 'withdrawals', TODAY).rows).toEqual([
      { line: 2, patientId: 'A', status: 'withdrawn', date: TODAY, scope: '' },
      { line: 3, patientId: 'B', status: 'withdrawn', date: TODAY, scope: '' },
    ]);
    expect(readConsentCsv(utf8('patient_id,date\nA,2024-01-02\n'), 'withdrawals', TODAY).rows[0]?.date).toBe(
      '2024-01-02',
    );
    expect(refusal(utf8('patient_id,status,date\nA,withdrawn,2024-01-01\n'), 'withdrawals').message).toMatch(
      /header patient_id\[,date\]/,
    );
  });
});
