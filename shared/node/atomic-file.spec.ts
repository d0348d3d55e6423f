import { spawn } from 'node:child_process';
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AtomicWriteError, isAtomicTemporaryOf, writeFileAtomically } from './atomic-file.ts';

const folders: string[] = [];
function folder(): string {
  const dir = mkdtempSync(join(tmpdir(), 'radfed-atomic-'));
  folders.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of folders.splice(0)) {
    chmodSync(dir, 0o700);
    rmSync(dir, { recursive: true, force: true });
  }
});
const isRoot = process.getuid?.() === 0;

describe('writeFileAtomically', () => {
  it('writes text and bytes, replaces an existing file, and leaves no temporary file', () => {
    const dir = folder();
    const path = join(dir, 'state.json');
    writeFileAtomically(path, '{"a":1}\n');
    expect(readFileSync(path, 'utf8')).toBe('{"a":1}\n');
    writeFileAtomically(path, new Uint8Array([1, 2, 3]));
    expect([...readFileSync(path)]).toEqual([1, 2, 3]);
    expect(readdirSync(dir)).toEqual(['state.json']);
  });

  it('creates the file with the mode asked for (0600 for keys), also over a file that was 0644', () => {
    const dir = folder();
    const path = join(dir, 'site.key');
    writeFileSync(path, 'old', { mode: 0o644 });
    writeFileAtomically(path, 'secret', { mode: 0o600 });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readFileSync(path, 'utf8')).toBe('secret');
  });

  it('on a failed write (the target is a folder) throws a clear error, keeps the folder, and leaves no temporary file', () => {
    const dir = folder();
    mkdirSync(join(dir, 'taken'));
    writeFileSync(join(dir, 'taken', 'inside'), 'x');
    let caught: unknown;
    try {
      writeFileAtomically(join(dir, 'taken'), 'new');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(AtomicWriteError);
    expect((caught as AtomicWriteError).message).toMatch(/Could not save .*taken \(E[A-Z]+\)\. Check that/);
    expect(readdirSync(dir)).toEqual(['taken']);
    expect(readdirSync(join(dir, 'taken'))).toEqual(['inside']);
  });

  it.skipIf(isRoot)(
    'in a read-only folder throws with the reason (EACCES) and writes nothing (skipped as root: root may write anywhere; the folder-as-target case covers the failure path)',
    () => {
      const dir = folder();
      writeFileSync(join(dir, 'config.json'), 'old');
      chmodSync(dir, 0o500);
      expect(() => writeFileAtomically(join(dir, 'config.json'), 'new')).toThrow(
        expect.objectContaining({ reason: 'EACCES', code: 'atomic-write-failed' }),
      );
      expect(readdirSync(dir)).toEqual(['config.json']);
      expect(readFileSync(join(dir, 'config.json'), 'utf8')).toBe('old');
    },
  );

  it('in a folder that does not exist says so (ENOENT)', () => {
    const path = join(folder(), 'missing', 'x.json');
    expect(() => writeFileAtomically(path, 'x')).toThrow(expect.objectContaining({ reason: 'ENOENT' }));
  });

  it('concurrent writers in separate processes to one path leave one whole file and no temporary files', async () => {
    const dir = folder();
    const path = join(dir, 'shared.json');
    const module = join(import.meta.dirname, 'atomic-file.ts');
    // Each writer writes its own 256 KiB payload 20 times: a torn or mixed file would show as two letters.
    const writer = (letter: string): Promise<number> =>
      new Promise((resolve, reject) => {
        const script =
          `const { writeFileAtomically } = await import(${JSON.stringify(module)});` +
          `for (let i = 0; i < 20; i++) writeFileAtomically(${JSON.stringify(path)}, ${JSON.stringify(letter)}.repeat(262144));`;
        const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
          stdio: ['ignore', 'ignore', 'inherit'],
        });
        child.on('error', reject);
        child.on('exit', (code) => resolve(code ?? -1));
      });
    const codes = await Promise.all(['a', 'b', 'c', 'd'].map(writer));
    expect(codes).toEqual([0, 0, 0, 0]);
    const text = readFileSync(path, 'utf8');
    expect(text.length).toBe(262144);
    expect(new Set(text).size).toBe(1);
    expect(readdirSync(dir)).toEqual(['shared.json']);
  }, 60_000);
});

describe('writeFileAtomically with exclusive (create once, as a site key)', () => {
  it('creates the file with its mode, and refuses with EEXIST to replace one that exists, leaving it as it was', () => {
    const dir = folder();
    const path = join(dir, 'site.key');
    writeFileAtomically(path, 'first', { mode: 0o600, exclusive: true });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(() => writeFileAtomically(path, 'second', { mode: 0o600, exclusive: true })).toThrow(
      expect.objectContaining({ reason: 'EEXIST' }),
    );
    expect(readFileSync(path, 'utf8')).toBe('first');
    expect(readdirSync(dir)).toEqual(['site.key']);
  });
});

describe('isAtomicTemporaryOf', () => {
  it('recognises the temporary names the writer uses for a target, and only those', () => {
    expect(isAtomicTemporaryOf('.site.json.123-0-abcdef012345.tmp', 'site.json')).toBe(true);
    expect(isAtomicTemporaryOf('site.json.tmp', 'site.json')).toBe(false);
    expect(isAtomicTemporaryOf('.other.json.1-0-aa.tmp', 'site.json')).toBe(false);
  });
});
