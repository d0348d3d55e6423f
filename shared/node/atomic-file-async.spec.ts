// writeFileAtomicallyAsync: the same steps and errors as the sync writer, without blocking the event
// loop (model weights, prepared-image caches). Whether it flushes is traced in
// main/site/train/durable-writes.spec.ts.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AtomicWriteError, writeFileAtomicallyAsync } from './atomic-file.ts';

const folders: string[] = [];
function folder(): string {
  const dir = mkdtempSync(join(tmpdir(), 'radfed-atomic-async-'));
  folders.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of folders.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('writeFileAtomicallyAsync', () => {
  it('writes text and bytes with the mode asked for, replaces an existing file, and leaves no temporary file', async () => {
    const dir = folder();
    const path = join(dir, 'model.json');
    await writeFileAtomicallyAsync(path, '{"a":1}\n', { mode: 0o600 });
    expect(readFileSync(path, 'utf8')).toBe('{"a":1}\n');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    await writeFileAtomicallyAsync(path, new Uint8Array([1, 2, 3]));
    expect([...readFileSync(path)]).toEqual([1, 2, 3]);
    expect(readdirSync(dir)).toEqual(['model.json']);
  });

  it('on a failed write (the target is a folder) throws AtomicWriteError, keeps the folder, and leaves no temporary file', async () => {
    const dir = folder();
    const target = join(dir, 'taken');
    mkdirSync(target);
    const error = await writeFileAtomicallyAsync(target, 'x').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AtomicWriteError);
    expect((error as AtomicWriteError).reason).toMatch(/EISDIR|ENOTEMPTY|EEXIST/);
    expect(readdirSync(dir)).toEqual(['taken']);
  });

  it('many writers at once in one process to one path leave one whole file and no temporary files', async () => {
    const dir = folder();
    const path = join(dir, 'cache.f32');
    const letters = 'abcdefghijklmnop'.split('');
    await Promise.all(letters.map((letter) => writeFileAtomicallyAsync(path, letter.repeat(65536))));
    const text = readFileSync(path, 'utf8');
    expect(text.length).toBe(65536);
    expect(new Set(text).size).toBe(1);
    expect(readdirSync(dir)).toEqual(['cache.f32']);
  });

  it('with exclusive creates once and refuses with EEXIST to replace, leaving the first', async () => {
    const dir = folder();
    const path = join(dir, 'once');
    await writeFileAtomicallyAsync(path, 'first', { exclusive: true });
    await expect(writeFileAtomicallyAsync(path, 'second', { exclusive: true })).rejects.toMatchObject({
      reason: 'EEXIST',
    });
    expect(readFileSync(path, 'utf8')).toBe('first');
    expect(readdirSync(dir)).toEqual(['once']);
  });
});
