// The row classes write named parameters (@site_id), as better-sqlite3 takes them; PostgreSQL's wire
// protocol takes only positional ones ($1, $2, …). This rewrites one into the other, once per
// statement, skipping what is not SQL code: string literals ('it''s @home'), quoted identifiers
// ("@col"), dollar-quoted bodies ($$ … $$, used by the PostgreSQL migrations' functions) and comments,
// so an @ inside them is left as it is.
import type { SqlParams, SqlValue } from './sql-engine.ts';
import { HubError } from '../hub-errors.ts';

export interface PositionalStatement {
  readonly text: string;
  /** The parameter names in $n order: names[0] is $1. A name used twice has one number. */
  readonly names: readonly string[];
}

const NAME_START = /[A-Za-z_]/;
const NAME_PART = /[A-Za-z0-9_]/;

/** Where the quoted or commented stretch that starts at `at` ends (the index just after it), or -1. */
function skipNonCode(sql: string, at: number): number {
  const char = sql[at];
  const next = sql[at + 1];
  if (char === "'" || char === '"') {
    // A doubled quote inside is an escaped quote, and the scan simply goes on past both.
    let index = at + 1;
    while (index < sql.length) {
      if (sql[index] === char) {
        if (sql[index + 1] === char) index += 2;
        else return index + 1;
      } else index += 1;
    }
    return sql.length;
  }
  if (char === '-' && next === '-') {
    const end = sql.indexOf('\n', at);
    return end === -1 ? sql.length : end + 1;
  }
  if (char === '/' && next === '*') {
    const end = sql.indexOf('*/', at + 2);
    return end === -1 ? sql.length : end + 2;
  }
  if (char === '$') {
    const tag = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(sql.slice(at));
    if (tag) {
      const end = sql.indexOf(tag[0], at + tag[0].length);
      return end === -1 ? sql.length : end + tag[0].length;
    }
  }
  return -1;
}

/** Rewrites @name parameters to $n. */
export function toPositional(sql: string): PositionalStatement {
  const names: string[] = [];
  let text = '';
  let index = 0;
  while (index < sql.length) {
    const skipTo = skipNonCode(sql, index);
    if (skipTo !== -1) {
      text += sql.slice(index, skipTo);
      index = skipTo;
      continue;
    }
    const char = sql[index] ?? '';
    // An @ right after a name or another @ is an operator (PostgreSQL's @@, @>), not a parameter.
    const after = sql[index - 1] ?? ' ';
    if (char === '@' && NAME_START.test(sql[index + 1] ?? '') && !/[A-Za-z0-9_@]/.test(after)) {
      let end = index + 1;
      while (end < sql.length && NAME_PART.test(sql[end] ?? '')) end += 1;
      const name = sql.slice(index + 1, end);
      let position = names.indexOf(name);
      if (position === -1) position = names.push(name) - 1;
      text += `$${position + 1}`;
      index = end;
      continue;
    }
    text += char;
    index += 1;
  }
  return { text, names };
}

/** The values in $n order. A name the statement uses but the caller left out is a bug: said plainly. */
export function positionalValues(statement: PositionalStatement, params: SqlParams = {}): SqlValue[] {
  return statement.names.map((name) => {
    if (!Object.hasOwn(params, name))
      throw new HubError(
        'missing-sql-parameter',
        500,
        `A database query uses the parameter @${name} but was given no value for it.`,
      );
    return params[name] ?? null;
  });
}
