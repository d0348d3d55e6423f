// The one CSV reader: what both the consent import and the labels import rely on, and the writer's
// fields read back unchanged.
import { describe, expect, it } from 'vitest';
import { CsvTextError, decodeCsvBytes, formatCsvField, parseCsvRecords } from './csv-text.ts';

const problemOf = (run: () => unknown): CsvTextError => {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(CsvTextError);
    return error as CsvTextError;
  }
  throw new Error('expected a CsvTextError');
};

describe('the one CSV reader', () => {
  it('reads quoted fields with commas, doubled quotes and line breaks, numbering records by their first line', () => {
    expect(parseCsvRecords('a,b\r\n"x,1","say ""hi"""\r\n"two\nlines",z\n\nlast,row')).toEqual([
      { line: 1, fields: ['a', 'b'] },
      { line: 2, fields: ['x,1', 'say "hi"'] },
      { line: 3, fields: ['two\nlines', 'z'] },
      { line: 6, fields: ['last', 'row'] },
    ]);
  });

  it('ends records at a lone CR (old Mac exports) and counts it as a line', () => {
    expect(parseCsvRecords('a,b\r1,2\r\r3,4')).toEqual([
      { line: 1, fields: ['a', 'b'] },
      { line: 2, fields: ['1', '2'] },
      { line: 4, fields: ['3', '4'] },
    ]);
  });

  it('drops spaces before an opening quote, and takes a quote inside a field as a character', () => {
    expect(parseCsvRecords('  "a,b" , x"y"\n')).toEqual([{ line: 1, fields: ['a,b ', ' x"y"'] }]);
  });

  it('picks a semicolon only when asked to and the first line has no comma', () => {
    expect(parseCsvRecords('a;b\n1;2', { delimiter: 'comma-or-semicolon' })[1]?.fields).toEqual(['1', '2']);
    expect(parseCsvRecords('a;b\n1;2', { delimiter: ',' })[1]?.fields).toEqual(['1;2']);
    expect(parseCsvRecords('a,b;c\n1,2;3', { delimiter: 'comma-or-semicolon' })[1]?.fields).toEqual([
      '1',
      '2;3',
    ]);
  });

  it('names an unclosed quote by the line its record starts on, without the cell', () => {
    const error = problemOf(() => parseCsvRecords('id,x\n"SECRET-ID,1\n2,3\n'));
    expect(error.problem).toBe('unclosed-quote');
    expect(error.line).toBe(2);
    expect(error.message).not.toContain('SECRET');
  });

  it('decodes UTF-8 with or without a byte-order mark, and Latin-1 only when the caller accepts it', () => {
    expect(decodeCsvBytes(Buffer.from('\uFEFFa,Ä', 'utf8'), { latin1: false })).toEqual({
      text: 'a,Ä',
      encoding: 'utf-8',
    });
    const latin1 = Buffer.from('a,\u00c4', 'latin1');
    expect(decodeCsvBytes(latin1, { latin1: true })).toEqual({ text: 'a,Ä', encoding: 'latin1' });
    expect(problemOf(() => decodeCsvBytes(latin1, { latin1: false })).problem).toBe('not-utf-8');
    expect(problemOf(() => decodeCsvBytes(Uint8Array.of(0x61, 0x93), { latin1: true })).problem).toBe(
      'not-utf-8-or-latin1',
    );
    expect(problemOf(() => decodeCsvBytes(Buffer.from('\uFEFFa', 'utf16le'), { latin1: true })).problem).toBe(
      'utf-16',
    );
    expect(problemOf(() => decodeCsvBytes(Buffer.from('a\u0000b'), { latin1: true })).problem).toBe(
      'nul-bytes',
    );
  });

  it('reads back what formatCsvField writes', () => {
    const values = ['plain', 'a,b', 'say "hi"', 'two\r\nlines', ''];
    const text = `${values.map(formatCsvField).join(',')}\r\n`;
    expect(parseCsvRecords(text)).toEqual([{ line: 1, fields: values }]);
  });
});
