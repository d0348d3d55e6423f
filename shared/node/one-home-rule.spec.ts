// Keeps "one error base" and "one logger factory": outside the files named
// here, no source file declares an error class straight on Error (it extends RadfedError,
// shared/errors.ts, so the IPC and the CLI can tell ours from others with instanceof), and none makes a
// pino logger itself (it calls createLogger, shared/node/logger.ts, which redacts and routes errors
// through shared/log-safety.ts). A planted violation shows each rule can fail.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const ROOMS = ['main', 'hub', 'cli', 'shared', 'renderer/src'];

/** A class declared straight on Error (or a subclass of a Node/JS built-in error). */
const ERROR_CLASS = /\bclass\s+\w+\s+extends\s+(Error|TypeError|RangeError)\b/;
const ERROR_ALLOWED = new Set(['shared/errors.ts']);

/** pino called or its destination opened: making a logger. */
const PINO_CALL = /\bpino\s*(\(|\.destination\s*\()/;
const PINO_ALLOWED = new Set(['shared/node/logger.ts']);

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(path));
    else if (/\.(ts|svelte)$/.test(entry.name) && !entry.name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

/** Source files (specs included: their test errors should look like ours) that break a rule. */
function breaking(rule: RegExp, allowed: ReadonlySet<string>, files = allSources()): string[] {
  return files.filter((path) => !allowed.has(path) && rule.test(readFileSync(join(ROOT, path), 'utf8')));
}

function allSources(): string[] {
  return ROOMS.flatMap((room) => sourceFiles(join(ROOT, room))).map((path) =>
    relative(ROOT, path).split('\\').join('/'),
  );
}

describe('one home for errors and loggers', () => {
  it('every error class extends RadfedError (shared/errors.ts), not Error itself', () => {
    // The rule's own source names the pattern in its text; it is not an error class.
    expect(breaking(ERROR_CLASS, ERROR_ALLOWED).filter((p) => !p.endsWith('one-home-rule.spec.ts'))).toEqual(
      [],
    );
  });

  it('every pino logger is made by createLogger (shared/node/logger.ts)', () => {
    // Specs may build a logger that captures lines in memory: what they check is the code's log calls.
    const products = allSources().filter((path) => !path.endsWith('.spec.ts'));
    expect(breaking(PINO_CALL, PINO_ALLOWED, products)).toEqual([]);
  });

  it('the rules catch a planted violation', () => {
    expect(ERROR_CLASS.test('export class PlantedError extends Error {')).toBe(true);
    expect(ERROR_CLASS.test('export class PlantedError extends RadfedError<"x"> {')).toBe(false);
    expect(PINO_CALL.test("const logger = pino({ level: 'info' });")).toBe(true);
    expect(PINO_CALL.test('pino.destination(2)')).toBe(true);
    expect(PINO_CALL.test("import type { Logger } from 'pino';")).toBe(false);
  });
});
