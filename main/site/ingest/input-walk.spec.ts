import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { IngestError, listInputFiles } from './index.ts';

function tree() {
  const root = mkdtempSync(join(tmpdir(), 'radfed-walk-'));
  mkdirSync(join(root, 'b', 'deep'), { recursive: true });
  mkdirSync(join(root, 'a'));
  mkdirSync(join(root, 'site'));
  writeFileSync(join(root, 'b', 'deep', '2.dcm'), 'x');
  writeFileSync(join(root, 'a', '1.dcm'), 'x');
  writeFileSync(join(root, 'site', 'inside.dcm'), 'x');
  writeFileSync(join(root, 'DICOMDIR'), 'x');
  symlinkSync('..', join(root, 'b', 'deep', 'loop')); // a link loop
  symlinkSync(join(root, 'missing'), join(root, 'broken')); // a dangling link
  symlinkSync(join(root, 'a', '1.dcm'), join(root, 'b', 'link-to-1.dcm'));
  execFileSync('mkfifo', [join(root, 'a', 'pipe')]); // reading it would block forever
  return root;
}

describe('input walk', () => {
  it('lists regular files recursively in order, following links but not loops, skipping pipes', async () => {
    const root = tree();
    const files = (await listInputFiles(root)).map((f) => relative(root, f));
    expect(files).toEqual(['DICOMDIR', 'a/1.dcm', 'b/deep/2.dcm', 'b/link-to-1.dcm', 'site/inside.dcm']);
  });

  it('leaves out everything inside an excluded folder', async () => {
    const root = tree();
    const files = (await listInputFiles(root, [join(root, 'site')])).map((f) => relative(root, f));
    expect(files).not.toContain('site/inside.dcm');
    expect(files).toHaveLength(4);
  });

  it('lists a single file as itself, and refuses a missing path', async () => {
    const root = tree();
    expect(await listInputFiles(join(root, 'a', '1.dcm'))).toEqual([join(root, 'a', '1.dcm')]);
    await expect(listInputFiles(join(root, 'nope'))).rejects.toThrow(IngestError);
  });
});
