// Keeps "one way to write a small state file": outside the files named here, no source file renames a
// file into place itself; it calls writeFileAtomically (atomic-file.ts). Each exception says why.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const ROOMS = ['main', 'hub', 'cli', 'shared'];

/** Files that may call rename()/renameSync() themselves, and why. */
const RENAME_ALLOWED: Readonly<Record<string, string>> = {
  'shared/node/atomic-file.ts': 'the one writer of small state files',
  'main/site/ingest/research-files.ts': 'DICOM research store: streamed, hashed while written, async',
  'main/site/ingest/quarantine.ts': 'moves identified copies within the quarantine; no new bytes',
  'main/site/ingest/failed-files.ts': 'moves a failed input aside; no new bytes',
  'main/site/receiver/received-file.ts':
    'DICOM received over the network: streamed to .part, acknowledged after rename',
  'main/site/held/held-at-ingest.ts': 'cleaned DICOM bytes, async, alongside its quarantine copy',
  'main/site/batch/output-writes.ts':
    'batch DICOM output: .partial names that watch folders skip, per worker thread',
  'main/site/federation/model-cache.ts': 'global model downloaded in byte ranges into a resumable .part file',
  'main/site/train/trainer/checkpoint.ts': 'renames a whole epoch folder into place',
  'main/site/train/data/prepared-cache.ts':
    'prepared-image cache: derived data, renamed unflushed; a checksum turns a torn entry into a rebuild',
  'hub/store/blob-store.ts': 'content-addressed blobs, streamed and hashed; uploads moved in from .part',
  'hub/dashboard/accounts-import.ts':
    'moves an older hub’s coordinators.json aside once its accounts are in the database; no new bytes',
};

const RENAME_CALL = /\brename(Sync)?\s*\(/;

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(path));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') && !entry.name.endsWith('.d.ts'))
      out.push(path);
  }
  return out;
}

/** Files that rename a file into place but are not on the list. */
function renamesOutsideTheWriter(root: string, rooms: readonly string[]): string[] {
  return rooms
    .flatMap((room) => sourceFiles(join(root, room)))
    .map((path) => relative(root, path).split('\\').join('/'))
    .filter((path) => !(path in RENAME_ALLOWED))
    .filter((path) => RENAME_CALL.test(readFileSync(join(root, path), 'utf8')));
}

describe('one way to write a small state file', () => {
  it('no source file outside the allowed list renames a file into place (use writeFileAtomically)', () => {
    expect(renamesOutsideTheWriter(ROOT, ROOMS)).toEqual([]);
  });

  it('every allowed file still renames (an entry that no longer does is removed from the list)', () => {
    const idle = Object.keys(RENAME_ALLOWED).filter(
      (path) => !RENAME_CALL.test(readFileSync(join(ROOT, path), 'utf8')),
    );
    expect(idle).toEqual([]);
  });
});
