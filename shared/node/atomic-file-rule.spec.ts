// Keeps "one way to write a small state file": outside the files named here, no product file writes
// or renames a file itself (writeFile, appendFile, copyFile, a write stream, a file opened for
// writing, rename); it calls writeFileAtomically or writeFileAtomicallyAsync (atomic-file.ts). A state
// file written in place is torn by a crash or a power loss (site.json, settings, approvals, a
// checkpoint's state.json), so each exception says why its bytes are not state or how it makes them
// whole itself. Specs and test helpers (testing/, test-*.ts, *-test-support.ts) write fixtures and are
// not scanned. A planted file shows the rule can fail.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const ROOMS = ['main', 'hub', 'cli', 'shared'];

/** Files that rename a file into place themselves, and why. */
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
  'main/site/train/trainer/checkpoint.ts':
    'renames a whole epoch folder into place, once each file in it was written atomically',
  'main/site/train/data/prepared-cache.ts':
    'prepared-image cache: derived data, renamed unflushed; a checksum turns a torn entry into a rebuild',
  'hub/store/blob-store.ts': 'content-addressed blobs, streamed and hashed; uploads moved in from .part',
  'hub/dashboard/accounts-import.ts':
    'moves an older hub’s coordinators.json aside once its accounts are in the database; no new bytes',
};

/** Files that write bytes into a file themselves (not through writeFileAtomically), and why. */
const WRITE_ALLOWED: Readonly<Record<string, string>> = {
  'shared/node/atomic-file.ts': 'the one writer of small state files',
  'main/site/ingest/research-files.ts':
    'DICOM research store: streamed to a temporary name, flushed, renamed',
  'main/site/ingest/quarantine.ts': 'identified DICOM streamed into the quarantine under a new name',
  'main/site/ingest/failed-files.ts':
    'a failed input copied (and flushed) across file systems, beside a note for the operator that nothing reads back',
  'main/site/receiver/received-file.ts': 'DICOM received over the network, streamed to .part',
  'main/site/held/held-at-ingest.ts': 'cleaned DICOM bytes to a temporary name, renamed beside its copy',
  'main/site/held/held-actions.ts':
    'a released copy in the quarantine under an in-flight name, ingested then deleted; a crash leaves it to the start-up clean-up',
  'main/site/batch/output-writes.ts': 'batch DICOM output under .partial names, per worker thread',
  'main/site/batch/run-marker.ts':
    "a run's process id in its output folder: a mark torn by a crash reads as a dead run, which it is",
  'main/site/federation/model-cache.ts': 'global model downloaded in byte ranges into a resumable .part file',
  'main/site/train/data/prepared-cache.ts': 'prepared-image cache: derived data with a checksum',
  'main/site/console/handlers-consent.ts':
    'a consent CSV sent by the page, in a private temporary folder for the import, deleted right after',
  'main/site/console/handlers-test-site.ts': 'a spec helper: fills an inbox folder with input files',
  'main/site/synth/synthesize.ts':
    'synthetic studies and their CSVs, written once into the folder the person named (radfed synth)',
  'main/site/synth/fonts/extract-glyphs.ts': 'run by hand: writes a glyph table that is committed',
  'main/demo/demo-data.ts': "the demo's labels CSVs, input it makes afresh on every run",
  'hub/store/blob-store.ts': 'content-addressed blobs to a temporary name, flushed, then renamed in',
  'hub/store/hub-blobs.ts': 'a streamed blob into tmp/, flushed and hashed, then adopted by blob-store.ts',
  'hub/store/upload-spool.ts':
    "an upload's chunks at their offsets in its .part file, flushed before the chunk is recorded",
  'hub/server/body-spool.ts': "a request's body spooled to a temporary file, taken or dropped",
  'hub/model-export.ts':
    'a model exported into the folder the coordinator named (--out); the hub never reads it back',
  'cli/demo-command.ts': "the demo's results as JSON (--json), a report for the person",
  'cli/site-held-commands.ts': "a held file's picture (--preview), for the person to look at",
  'cli/bench/orthanc.ts': "the benchmark's Orthanc configuration in its working folder",
  'cli/bench/deid-benchmark.ts': "Orthanc's anonymised output, kept for the benchmark's comparison",
};

/** Moves a file into place. */
const RENAMES = /\brename(Sync)?\s*\(/;

/** Writes bytes into a file. */
const WRITES = [
  /\b(writeFile|appendFile|copyFile)(Sync)?\s*\(/,
  /\bcreateWriteStream\s*\(/,
  // open()/openSync() with a flag that writes ('w', 'wx', 'a', 'r+'…), the flag possibly chosen inline.
  /\bopen(Sync)?\s*\([^;]{0,160}?['"]([wa]x?\+?|r\+)['"]/,
];

const renames = (text: string): boolean => RENAMES.test(text);
const writes = (text: string): boolean => WRITES.some((rule) => rule.test(text));

const isTestHelper = (name: string): boolean =>
  /\.(spec|d)\.ts$/.test(name) || /^test-/.test(name) || name.endsWith('-test-support.ts');

function productFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.') || entry.name === 'testing') continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...productFiles(path));
    else if (entry.name.endsWith('.ts') && !isTestHelper(entry.name)) out.push(path);
  }
  return out;
}

/** Product files under `root` that rename or write a file themselves where their list does not say why. */
function offenders(root: string, rooms: readonly string[]): string[] {
  return rooms
    .flatMap((room) => productFiles(join(root, room)))
    .map((path) => relative(root, path).split('\\').join('/'))
    .filter((path) => {
      const text = readFileSync(join(root, path), 'utf8');
      return (renames(text) && !(path in RENAME_ALLOWED)) || (writes(text) && !(path in WRITE_ALLOWED));
    });
}

const read = (path: string): string => readFileSync(join(ROOT, path), 'utf8');
const planted = mkdtempSync(join(tmpdir(), 'radfed-atomic-rule-'));
afterAll(() => rmSync(planted, { recursive: true, force: true }));

describe('one way to write a small state file', () => {
  it('no product file outside the lists writes or renames a file itself (use writeFileAtomically)', () => {
    expect(offenders(ROOT, ROOMS)).toEqual([]);
  });

  it('every listed file still does what it is listed for (an entry that no longer does is removed)', () => {
    const idle = [
      ...Object.keys(RENAME_ALLOWED).filter((path) => !renames(read(path))),
      ...Object.keys(WRITE_ALLOWED).filter((path) => !writes(read(path))),
    ];
    expect(idle).toEqual([]);
  });

  it('catches a planted file that writes a state file in place, and passes one that writes it atomically', () => {
    const room = join(planted, 'main', 'site', 'store');
    mkdirSync(room, { recursive: true });
    const bad = {
      'in-place.ts': "writeFileSync(join(dir, 'site.json'), JSON.stringify(site));",
      'appended.ts': "await appendFile(join(dir, 'approvals.json'), line);",
      'streamed.ts': "const out = createWriteStream(join(dir, 'ledger.json'));",
      'opened.ts': "const fd = openSync(join(dir, 'settings.json'), fresh ? 'w' : 'r+', 0o600);",
      'handle.ts': "const file = await open(path, 'a');",
      'renamed.ts': "renameSync(temporary, join(dir, 'site.json'));",
    };
    for (const [name, text] of Object.entries(bad)) writeFileSync(join(room, name), text);
    writeFileSync(
      join(room, 'atomic.ts'),
      "writeFileAtomically(join(dir, 'site.json'), text, { mode: 0o600 });",
    );
    writeFileSync(join(room, 'reader.ts'), "const fd = openSync(path, 'r'); readFileSync(path);");
    writeFileSync(join(room, 'test-fixtures.ts'), "writeFileSync(join(dir, 'site.json'), '{}');");
    expect(offenders(planted, ['main']).sort()).toEqual(
      Object.keys(bad)
        .map((name) => `main/site/store/${name}`)
        .sort(),
    );
  });

  it('a file allowed to rename is not thereby allowed to write a state file in place', () => {
    // The gap this closed: checkpoint.ts renames its epoch folder and wrote state.json unflushed.
    const room = join(planted, 'main', 'site', 'train', 'trainer');
    mkdirSync(room, { recursive: true });
    writeFileSync(
      join(room, 'checkpoint.ts'),
      "await writeFile(join(staging, 'state.json'), text);\nawait rename(staging, join(dir, name));",
    );
    expect(offenders(planted, ['main'])).toContain('main/site/train/trainer/checkpoint.ts');
  });
});
