import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { IngestError, listInputFiles, walkInput } from './index.ts';

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

describe('input walk: folders it cannot read', () => {
  // A folder named like a patient, under a root path that must not show either.
  const lockedTree = () => {
    const root = tree();
    const locked = join(root, 'b', 'DOE^JANE 1950');
    mkdirSync(locked);
    writeFileSync(join(locked, 'x.dcm'), 'x');
    chmodSync(root, 0o755); // mkdtemp makes it 0700: the unprivileged reader below must get in
    chmodSync(locked, 0o000);
    return { root, locked };
  };
  // Root reads any folder, so as root the walk runs with the effective uid of `nobody` (the test pool
  // runs each file in a process of its own, where seteuid is allowed).
  const asReader = async <T>(run: () => Promise<T>): Promise<T> => {
    if (process.geteuid?.() !== 0) return run();
    process.seteuid!(65534);
    try {
      return await run();
    } finally {
      process.seteuid!(0);
    }
  };

  it('listInputFiles refuses the input with a sentence that names no path', async () => {
    const { root } = lockedTree();
    const error = await asReader(() => listInputFiles(root)).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(IngestError);
    expect((error as IngestError).code).toBe('input-unreadable');
    expect((error as IngestError).message).toMatch(/A folder under the input could not be read.*permissions/);
    expect((error as IngestError).message).not.toContain(root);
    expect((error as IngestError).message).not.toContain('DOE');
  });

  it('walkInput lists the rest and reports the folder to its caller', async () => {
    const { root, locked } = lockedTree();
    const listing = await asReader(() => walkInput(root));
    expect(listing.unreadableFolders).toEqual([{ path: locked, code: 'EACCES' }]);
    expect(listing.files.map((f) => relative(root, f))).toContain('a/1.dcm');
  });

  it('a missing input is refused without its path', async () => {
    const root = tree();
    const missing = join(root, 'SMITH^JOHN');
    const error = await listInputFiles(missing).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IngestError);
    expect((error as IngestError).message).not.toContain('SMITH');
  });
});
