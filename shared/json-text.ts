// The one way to parse JSON that came from a file or a request. JSON.parse's own message quotes the
// text it could not read (Node 20: `Unexpected token 'D', "DOE^JOHN..." is not valid JSON`), and a
// task file, a labels export or a request body may hold a patient's name or ID; so the failure is
// worded here by where it is (line and column), never by what is there (shared/log-safety.ts).
//
// Runs anywhere (no Node imports).
import { RadfedError } from './errors.ts';

/** Text that is not JSON: `line` and `column` (1-based) say where, when they can be found. */
export class JsonTextError extends RadfedError<'bad-json'> {
  override readonly name = 'JsonTextError';
  constructor(
    message: string,
    readonly line: number | null,
    readonly column: number | null,
  ) {
    super('bad-json', message);
  }
}

export interface JsonTextNames {
  /** What the text is, as the sentence starts: "The task file", "The request body". Never an input path. */
  what: string;
  /** What to do, as the sentence ends: "Fix it and try again." */
  todo: string;
}

/**
 * JSON.parse, with a byte order mark allowed, and a failure that says where the text goes wrong
 * without quoting any of it.
 */
export function parseJsonText(text: string, names: JsonTextNames): unknown {
  const unmarked = text.replace(/^\uFEFF/, '');
  try {
    return JSON.parse(unmarked) as unknown;
  } catch {
    throw jsonTextError(unmarked, names);
  }
}

function jsonTextError(text: string, { what, todo }: JsonTextNames): JsonTextError {
  if (text.trim() === '')
    return new JsonTextError(`${what} is empty, where JSON was expected. ${todo}`, null, null);
  const offset = firstErrorOffset(text);
  if (offset === null) return new JsonTextError(`${what} is not valid JSON. ${todo}`, null, null);
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  const column = offset - before.lastIndexOf('\n');
  const where =
    offset >= text.length ? 'it ends too soon' : `it goes wrong at line ${line}, column ${column}`;
  return new JsonTextError(`${what} is not valid JSON: ${where}. ${todo}`, line, column);
}

class Stop {
  constructor(readonly at: number) {}
}

const HEX = /^[0-9a-fA-F]$/;
const LITERALS: Record<string, string> = { t: 'true', f: 'false', n: 'null' };

/**
 * Where JSON.parse's grammar (RFC 8259) first fails in `text`, as an offset; null when this reader
 * finds no fault or nests too deep to follow. Read only after JSON.parse refused the text.
 */
export function firstErrorOffset(text: string): number | null {
  let i = 0;
  const stop = (): never => {
    throw new Stop(i);
  };
  const space = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) i += 1;
  };
  const string = () => {
    i += 1; // the opening quote
    for (;;) {
      const c = text[i];
      if (c === undefined || c < ' ') stop();
      if (c === '"') {
        i += 1;
        return;
      }
      if (c !== '\\') {
        i += 1;
        continue;
      }
      i += 1;
      const escape = text[i];
      if (escape !== undefined && '"\\/bfnrt'.includes(escape)) i += 1;
      else if (escape === 'u') {
        i += 1;
        for (let n = 0; n < 4; n += 1, i += 1) if (!HEX.test(text[i] ?? '')) stop();
      } else stop();
    }
  };
  const value = (depth: number): void => {
    if (depth > 512) throw new Stop(-1); // deeper than worth following: no position
    space();
    const c = text[i];
    if (c === '{' || c === '[') {
      const close = c === '{' ? '}' : ']';
      i += 1;
      space();
      if (text[i] === close) {
        i += 1;
        return;
      }
      for (;;) {
        if (c === '{') {
          space();
          if (text[i] !== '"') stop();
          string();
          space();
          if (text[i] !== ':') stop();
          i += 1;
        }
        value(depth + 1);
        space();
        if (text[i] === ',') i += 1;
        else if (text[i] === close) {
          i += 1;
          return;
        } else stop();
      }
    }
    if (c === '"') return string();
    const word = LITERALS[c ?? ''];
    if (word !== undefined) {
      // As V8 does, a literal stops at its first wrong letter.
      for (const letter of word) {
        if (text[i] !== letter) stop();
        i += 1;
      }
      return;
    }
    number();
  };
  // As V8 does, a number stops at the first character where a digit was needed.
  const digits = (atLeastOne: boolean) => {
    const start = i;
    while (i < text.length && text[i]! >= '0' && text[i]! <= '9') i += 1;
    if (atLeastOne && i === start) stop();
  };
  const number = () => {
    if (text[i] === '-') i += 1;
    if (text[i] === '0') i += 1;
    else digits(true);
    if (text[i] === '.') {
      i += 1;
      digits(true);
    }
    if (text[i] === 'e' || text[i] === 'E') {
      i += 1;
      if (text[i] === '+' || text[i] === '-') i += 1;
      digits(true);
    }
  };
  try {
    value(0);
    space();
    if (i < text.length) stop();
    return null;
  } catch (error) {
    if (error instanceof Stop) return error.at < 0 ? null : error.at;
    throw error;
  }
}
