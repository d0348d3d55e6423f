// The Browse button's agent side: the web UI's folder browser lists sub-folders (names and paths only,
// never files), and the app's system dialog is used where there is one.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createFolderHandlers, listFolders } from './handlers-folders.ts';

const root = mkdtempSync(join(tmpdir(), 'radfed-folders-'));
mkdirSync(join(root, 'b-studies'));
mkdirSync(join(root, 'a-export'));
mkdirSync(join(root, '.hidden'));
writeFileSync(join(root, 'patient-list.csv'), 'name\nDoe^Jane\n');
symlinkSync(join(root, 'a-export'), join(root, 'c-link'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('folder browser', () => {
  it('lists the sub-folders of a folder, sorted, without files or hidden folders', () => {
    const listing = listFolders(root);
    expect(listing).toEqual({
      path: root,
      parent: join(root, '..'),
      folders: ['a-export', 'b-studies', 'c-link'].map((name) => ({ name, path: join(root, name) })),
      truncated: false,
    });
    expect(JSON.stringify(listing)).not.toContain('patient-list');
  });

  it('says in words what to do with a relative or missing path', () => {
    expect(() => listFolders('studies')).toThrow(/Give the whole folder path/);
    expect(() => listFolders(join(root, 'nope'))).toThrow(
      'That folder does not exist on this computer. Check the path, or go up a level.',
    );
    expect(() => listFolders(join(root, 'patient-list.csv'))).toThrow(/does not exist/);
  });

  it('uses the system dialog where there is one, and the browser where there is none', async () => {
    expect(await createFolderHandlers(undefined)['files:choose-folder'](undefined)).toEqual({
      kind: 'browse',
    });
    const app = createFolderHandlers({ chooseFolder: async () => '/data/studies' });
    expect(await app['files:choose-folder'](undefined)).toEqual({ kind: 'chosen', path: '/data/studies' });
    const cancelled = createFolderHandlers({ chooseFolder: async () => null });
    expect(await cancelled['files:choose-folder'](undefined)).toEqual({ kind: 'cancelled' });
  });
});
