// makeFolder: each missing level made once, top down, and every refusal one FolderCreateError whose
// sentence names what the folder is for, never its path. Under /proc, mkdirSync's recursive mode
// never returned (cli/folder-refusals.spec.ts runs the commands that hung).
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { FolderCreateError, makeFolder } from './make-folder.ts';

const root = mkdtempSync(join(tmpdir(), 'radfed-make-folder-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function refusal(dir: string): FolderCreateError {
  try {
    makeFolder(dir, 'the test folder');
  } catch (error) {
    expect(error).toBeInstanceOf(FolderCreateError);
    return error as FolderCreateError;
  }
  throw new Error('makeFolder did not refuse');
}

it('makes every missing level with the mode asked for, and leaves a folder already there', () => {
  const deep = join(root, 'a', 'b', 'c');
  makeFolder(deep, 'the test folder', 0o700);
  expect(statSync(deep).isDirectory()).toBe(true);
  expect(statSync(join(root, 'a')).mode & 0o777).toBe(0o700);
  makeFolder(deep, 'the test folder');
  expect(statSync(deep).isDirectory()).toBe(true);
});

it('refuses a path through a file, without naming the path', () => {
  writeFileSync(join(root, 'a-file'), '');
  for (const dir of [join(root, 'a-file'), join(root, 'a-file', 'under')]) {
    const error = refusal(dir);
    expect(error.code).toBe('not-a-folder');
    expect(error.message).toBe(
      'Cannot create the test folder: that path, or a part of it, is a file, not a folder. Check the path.',
    );
  }
});

it.skipIf(!existsSync('/proc/self'))('refuses a folder under /proc at once (mkdir says ENOENT there)', () => {
  const error = refusal('/proc/radfed-x/y');
  expect(error.code).toBe('special-folder');
  expect(error.message).toContain('a special system folder (such as /proc or /sys)');
  expect(existsSync('/proc/radfed-x')).toBe(false);
});
