import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { carriesPlanted, foreignErrorsQuotingInput } from '../shared/log-safety-test-support.ts';
import { CliError, reportFailure } from './failure.ts';

function stderrOf(error: unknown): string {
  let text = '';
  const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    text += String(chunk);
    return true;
  });
  try {
    expect(reportFailure(error)).toBe(1);
  } finally {
    spy.mockRestore();
  }
  return text;
}

const savedDebug = process.env.RADFED_DEBUG;
afterEach(() => {
  if (savedDebug === undefined) delete process.env.RADFED_DEBUG;
  else process.env.RADFED_DEBUG = savedDebug;
});

describe('reportFailure: what the command prints when it cannot run', () => {
  it.each(foreignErrorsQuotingInput().map((error) => [error.name, error] as const))(
    'a foreign %s: prints its code or class, never the path or identifier in its message',
    (_name, error) => {
      delete process.env.RADFED_DEBUG;
      const printed = stderrOf(error);
      expect(carriesPlanted(printed), printed).toBe(false);
      expect(printed).toMatch(/^radfed: /);
    },
  );

  it('a system refusal (ENOENT) says to check what the command was given, not that it is a bug', () => {
    delete process.env.RADFED_DEBUG;
    const printed = stderrOf(foreignErrorsQuotingInput()[0]);
    expect(printed).toContain('(ENOENT)');
    expect(printed).not.toContain('bug');
  });

  it('our own error: its sentence, and no bug report', () => {
    delete process.env.RADFED_DEBUG;
    expect(stderrOf(new CliError('The folder is not a site. Run `radfed site init` first.'))).toBe(
      'radfed: The folder is not a site. Run `radfed site init` first.\n',
    );
  });

  it('a full disk, as Node raises it (ENOSPC, writing to /dev/full): says the disk is full, not to look for a bug', () => {
    delete process.env.RADFED_DEBUG;
    let full: unknown;
    try {
      writeFileSync('/dev/full', 'x');
    } catch (error) {
      full = error;
    }
    const printed = stderrOf(full);
    expect(printed).toMatch(/^radfed: The disk is full .*free some space.* \(ENOSPC\)\n$/);
  });

  it('a full disk, as SQLite raises it (SQLITE_FULL): says the disk is full, not that it is a bug', () => {
    delete process.env.RADFED_DEBUG;
    const dir = mkdtempSync(join(tmpdir(), 'radfed-full-'));
    const db = new Database(join(dir, 'small.db'));
    let full: unknown;
    try {
      // A database that may not grow past a few pages fails as a full disk does.
      db.pragma('max_page_count = 3');
      db.exec('CREATE TABLE t (x BLOB)');
      db.prepare('INSERT INTO t VALUES (?)').run(Buffer.alloc(64 * 1024));
    } catch (error) {
      full = error;
    } finally {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    }
    const printed = stderrOf(full);
    expect(printed).toContain('The disk is full');
    expect(printed).toContain('(SQLITE_FULL)');
    expect(printed).not.toContain('bug');
  });

  it('a file where a folder is needed (ENOTDIR): says which kind of path is wrong', () => {
    delete process.env.RADFED_DEBUG;
    let wrong: unknown;
    try {
      writeFileSync('/dev/null/x', 'x');
    } catch (error) {
      wrong = error;
    }
    expect(stderrOf(wrong)).toMatch(/a file where a folder is needed.* \(ENOTDIR\)\n$/);
  });
});
