// The one JSON reader for files and requests: it reads what JSON.parse reads, and a failure says where
// (line, column) and never what is there. V8's own message quotes a window of the text.
import { describe, expect, it } from 'vitest';
import { firstErrorOffset, JsonTextError, parseJsonText } from './json-text.ts';

const NAMES = { what: 'The test file', todo: 'Fix it.' };
const PLANTED = 'DOE^JOHN PID-7731';

/** Broken texts, each with the patient's name and ID next to the fault. */
const BROKEN = [
  PLANTED,
  `{"name": ${PLANTED}}`,
  `{"name": "${PLANTED}`,
  `{"name": "${PLANTED}",}`,
  `{"name": "${PLANTED}" "id": 1}`,
  `{"${PLANTED}"}`,
  `"${PLANTED}"x`,
  `{"name": "DOE^\tJOHN PID-7731"}`,
  `["${PLANTED}", tru]`,
  `{"id": -}`,
  `{"id": 01, "name": "${PLANTED}"}`,
  `{"name": "\\x${PLANTED}"}`,
  `{"name": "\\u12G4 ${PLANTED}"}`,
  `[1, 2,\n 3,\n ${PLANTED}]`,
  `[1., "${PLANTED}"]`,
  `[1e, "${PLANTED}"]`,
  `[1e+, "${PLANTED}"]`,
  `[-x, "${PLANTED}"]`,
  `["${PLANTED}" : 1]`,
  `{"a" 1, "b": "${PLANTED}"}`,
  `{"a": [1, {"b": "${PLANTED}"}}`,
];

function failure(text: string): JsonTextError {
  try {
    parseJsonText(text, NAMES);
  } catch (error) {
    expect(error).toBeInstanceOf(JsonTextError);
    return error as JsonTextError;
  }
  throw new Error(`parsed: ${text}`);
}

describe('parseJsonText', () => {
  it('reads what JSON.parse reads, a byte order mark allowed', () => {
    expect(parseJsonText('{"a": [1, "x", null, true, -1.5e3]}', NAMES)).toEqual({
      a: [1, 'x', null, true, -1500],
    });
    expect(parseJsonText('\uFEFF{"a": 1}', NAMES)).toEqual({ a: 1 });
  });

  it.each(BROKEN)('quotes nothing of %j, and names the line and column', (text) => {
    const error = failure(text);
    for (const part of ['DOE', 'JOHN', '7731']) expect(error.message).not.toContain(part);
    expect(error.message).toMatch(
      /^The test file is not valid JSON: (it goes wrong at line \d+, column \d+|it ends too soon)\. Fix it\.$/,
    );
    expect(error.code).toBe('bad-json');
  });

  it('finds the place V8 finds, wherever V8 names a position', () => {
    let compared = 0;
    for (const text of BROKEN) {
      let message = '';
      try {
        JSON.parse(text);
      } catch (error) {
        message = (error as Error).message;
      }
      const position = /at position (\d+)/.exec(message);
      if (position === null) continue;
      expect(firstErrorOffset(text), text).toBe(Number(position[1]));
      compared += 1;
    }
    expect(compared).toBeGreaterThan(8);
  });

  it('agrees with JSON.parse on what is valid, and on the position V8 names, over damaged texts', () => {
    const good = JSON.stringify(
      { name: PLANTED, id: 'PID-7731', n: [-1.5e3, 0, 12], ok: true, none: null, s: 'a\\"\u00e9' },
      null,
      1,
    );
    let seed = 7;
    const random = (below: number) => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed % below;
    };
    const pieces = [
      '{',
      '}',
      '[',
      ']',
      ',',
      ':',
      '"',
      '\\',
      '-',
      '.',
      'e',
      '0',
      '1',
      ' ',
      '\n',
      'u',
      't',
      'x',
    ];
    for (let n = 0; n < 3000; n += 1) {
      const at = random(good.length);
      const damaged = `${good.slice(0, at)}${pieces[random(pieces.length)]!}${good.slice(at + random(3))}`;
      let v8: string | null = null;
      try {
        JSON.parse(damaged);
      } catch (error) {
        v8 = (error as Error).message;
      }
      const offset = firstErrorOffset(damaged);
      if (v8 === null) expect(offset, damaged).toBeNull();
      else expect(offset, damaged).not.toBeNull();
      const position = v8 === null ? null : /at position (\d+)/.exec(v8);
      if (position) expect(offset, damaged).toBe(Number(position[1]));
    }
  });

  it('counts lines and columns from 1', () => {
    const error = failure(`{\n  "a": 1,\n  "b": ${PLANTED}\n}`);
    expect([error.line, error.column]).toEqual([3, 8]);
  });

  it('says an empty text is empty, and an unfinished one ends too soon', () => {
    expect(failure('  \n').message).toBe('The test file is empty, where JSON was expected. Fix it.');
    expect(failure('{"a": [1, 2').message).toBe('The test file is not valid JSON: it ends too soon. Fix it.');
  });

  it('gives up on the place, not the sentence, for nesting too deep to follow', () => {
    const error = failure(`${'['.repeat(100_000)}x`);
    expect(error.message).toBe('The test file is not valid JSON. Fix it.');
  });
});
