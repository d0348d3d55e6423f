// The one folder walker's options and refusals (its link and loop handling is pinned through ingest's
// wording of it, main/site/ingest/input-walk.spec.ts).
import { chmodSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FolderWalkError, listFolderFiles, walkFolder } from './folder-walk.ts';

function tree(): string {
  const root = mkdtempSync(join(tmpdir(), 'radfed-folder-walk-'));
  mkdirSync(join(root, 'sub'));
  mkdirSync(join(root, 'elsewhere'));
  writeFileSync(join(root, 'sub', 'a.dcm'), 'a');
  writeFileSync(join(root, 'sub', 'b.dcm.part'), 'b');
  writeFileSync(join(root, 'elsewhere', 'c.dcm'), 'c');
  symlinkSync(join(root, 'elsewhere'), join(root, 'sub', 'linked-folder'));
  symlinkSync(join(root, 'elsewhere', 'c.dcm'), join(root, 'sub', 'linked-file.dcm'));
  return root;
}
const names = (root: string, files: string[]) => files.map((f) => relative(root, f));

describe('walkFolder', () => {
  it('follows links by default, and not when told; leaves out names the caller skips', async () => {
    const root = tree();
    const sub = join(root, 'sub');
    expect(names(sub, await listFolderFiles(sub))).toEqual([
      'a.dcm',
      'b.dcm.part',
      'linked-file.dcm',
      'linked-folder/c.dcm',
    ]);
    const unlinked = await listFolderFiles(sub, {
      followLinks: false,
      skipName: (name) => name.endsWith('.part'),
    });
    expect(names(sub, unlinked)).toEqual(['a.dcm']);
  });

  it('refuses a missing root and one inside an excluded folder, naming neither', async () => {
    const root = tree();
    const missing = await walkFolder(join(root, 'DOE^JOHN')).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(FolderWalkError);
    expect((missing as FolderWalkError).code).toBe('not-found');
    expect((missing as FolderWalkError).message).not.toContain('DOE');
    const inside = await walkFolder(join(root, 'sub'), { exclude: [root] }).catch((e: unknown) => e);
    expect((inside as FolderWalkError).code).toBe('excluded');
    expect((inside as FolderWalkError).message).not.toContain(root);
  });

  it('listFolderFiles refuses a tree with a folder it cannot read, by count and without its path', async () => {
    const root = tree();
    const locked = join(root, 'SMITH^JANE');
    mkdirSync(locked);
    chmodSync(root, 0o755);
    chmodSync(locked, 0o000);
    // Root reads any folder: as root, walk with the effective uid of `nobody` (each spec file runs in
    // a process of its own in this test pool, where seteuid is allowed).
    const asRoot = process.geteuid?.() === 0;
    if (asRoot) process.seteuid!(65534);
    let error: unknown;
    try {
      error = await listFolderFiles(root).catch((e: unknown) => e);
    } finally {
      if (asRoot) process.seteuid!(0);
    }
    expect(error).toBeInstanceOf(FolderWalkError);
    expect(error).toMatchObject({ code: 'unreadable', folders: 1 });
    expect((error as FolderWalkError).message).not.toContain('SMITH');
    expect((error as FolderWalkError).message).not.toContain(root);
  });
});
