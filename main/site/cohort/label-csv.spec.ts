// The labels CSV reader: RFC 4180 quoting, line numbers as a spreadsheet shows them, the key column
// found from the header, and errors that never quote a cell.
import { describe, expect, it } from 'vitest';
import { CohortError } from './cohort-error.ts';
import { decodeCsv, parseCsv, readLabelTable } from './label-csv.ts';

const fails = (run: () => unknown): CohortError => {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(CohortError);
    return error as CohortError;
  }
  throw new Error('expected a CohortError');
};

describe('labels CSV', () => {
  it('reads quoted fields with commas, doubled quotes and line breaks, and numbers records by their first line', () => {
    const records = parseCsv('a,b\r\n"x,1","say ""hi"""\r\n"two\nlines",z\n\nlast,row');
    expect(records).toEqual([
      { line: 1, fields: ['a', 'b'] },
      { line: 2, fields: ['x,1', 'say "hi"'] },
      { line: 3, fields: ['two\nlines', 'z'] },
      { line: 6, fields: ['last', 'row'] },
    ]);
  });

  it('takes a semicolon as the delimiter when the header has no comma (spreadsheets in many locales)', () => {
    expect(readLabelTable('accession_number;label\nA1;normal\n').rows).toEqual([
      { line: 2, key: 'A1', label: 'normal' },
    ]);
  });

  it('reads a file whose lines end in a lone CR (Excel for old Macs saves CSV that way)', () => {
    expect(readLabelTable('accession_number,label\rA1,normal\rA2,nodule\r').rows).toEqual([
      { line: 2, key: 'A1', label: 'normal' },
      { line: 3, key: 'A2', label: 'nodule' },
    ]);
  });

  it('finds the key from the header, in any column order and case', () => {
    expect(readLabelTable('Label,Study_Instance_UID\nnodule,1.2.3\n')).toEqual({
      key: 'study-uid',
      rows: [{ line: 2, key: '1.2.3', label: 'nodule' }],
      malformed: [],
    });
  });

  it('needs --key when the header has both keys, and checks --key against the header', () => {
    const both = 'accession_number,study_instance_uid,label\nA1,1.2.3,normal\n';
    expect(fails(() => readLabelTable(both)).message).toMatch(/--key accession or --key study-uid/);
    expect(readLabelTable(both, 'study-uid').rows[0]?.key).toBe('1.2.3');
    expect(fails(() => readLabelTable('accession_number,label\n', 'study-uid')).message).toMatch(
      /--key study-uid needs a study_instance_uid column/,
    );
  });

  it('reports records with the wrong number of fields or an empty cell, by line', () => {
    const table = readLabelTable('accession_number,label\nA1,normal,extra\n,normal\nA3,\nA4,nodule\n');
    expect(table.rows).toEqual([{ line: 5, key: 'A4', label: 'nodule' }]);
    expect(table.malformed).toEqual([
      { line: 2, reason: 'has 3 fields where the header has 2' },
      { line: 3, reason: 'has no key' },
      { line: 4, reason: 'has no label' },
    ]);
  });

  it('refuses a file without a header without quoting its first row (it may be an accession number)', () => {
    const error = fails(() => readLabelTable('ACC99120,normal\nACC99121,nodule\n'));
    expect(error.code).toBe('bad-columns');
    expect(error.message).toMatch(/first line must be the header/);
    expect(error.message).not.toContain('ACC99120');
    expect(error.message.toLowerCase()).not.toContain('acc99120');
  });

  it('refuses an unclosed quote, naming the line', () => {
    expect(fails(() => parseCsv('accession_number,label\n"A1,normal\n')).message).toMatch(/starts on line 2/);
  });

  it('decodes UTF-8 with a byte order mark, and refuses UTF-16 and Latin-1 with what to do', () => {
    const bom = Buffer.from('\uFEFFaccession_number,label\nÄ1,normal\n', 'utf8');
    expect(readLabelTable(decodeCsv(bom, 'l.csv')).rows[0]?.key).toBe('Ä1');
    expect(fails(() => decodeCsv(Buffer.from('\uFEFFa,b', 'utf16le'), 'l.csv')).message).toMatch(
      /UTF-16.*CSV UTF-8/,
    );
    expect(fails(() => decodeCsv(Buffer.from('a,b\n\u00c41,x\n', 'latin1'), 'l.csv')).message).toMatch(
      /not UTF-8.*CSV UTF-8/,
    );
    expect(fails(() => decodeCsv(Buffer.from('a\u0000,b'), 'l.csv')).message).toMatch(/NUL bytes/);
  });
});
