// Model weights are flushed to disk before they are renamed into place, and their folder after; so is a
// checkpoint's state.json, before its epoch folder is renamed into place; a
// prepared-image cache entry is renamed into place from a temporary file without a flush, and carries a
// checksum instead (derived data: a torn entry is detected and rebuilt, prepared-cache.spec.ts). Traced
// with strace, so the test sees the system calls themselves.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { crc32 } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';

const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));
const STRACE = '/usr/bin/strace';
const work = mkdtempSync(join(tmpdir(), 'radfed-durable-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Call {
  call: 'sync' | 'rename';
  /** The file or folder flushed; for a rename, the new name. */
  path: string;
}

/** Runs `script` (an ES module body) under strace; returns its fsync and rename calls, in order. */
function traced(script: string): Call[] {
  const trace = join(work, `trace-${Math.random().toString(36).slice(2)}`);
  const run = spawnSync(
    STRACE,
    [
      ...['-f', '-y', '-qq', '-o', trace, '-e', 'trace=fsync,fdatasync,rename,renameat,renameat2'],
      ...[process.execPath, '--import', 'tsx', '--input-type=module', '-e', script],
    ],
    { cwd: repoRoot, encoding: 'utf8' },
  );
  expect(run.status, run.stderr).toBe(0);
  return readFileSync(trace, 'utf8')
    .split('\n')
    .flatMap((line): Call[] => {
      if (!line.endsWith(' = 0')) return [];
      const sync = /f(?:data)?sync\(\d+<([^>]*)>\)/.exec(line);
      if (sync) return [{ call: 'sync', path: sync[1]! }];
      const quoted = [...line.matchAll(/"([^"]*)"/g)].map((m) => m[1]!);
      return /rename/.test(line) && quoted.length === 2 ? [{ call: 'rename', path: quoted[1]! }] : [];
    });
}

/** Asserts: the temporary of `target` flushed, then renamed to `target`, then `target`'s folder flushed. */
function expectDurable(calls: Call[], folder: string, name: string): void {
  const target = join(folder, name);
  const renamed = calls.findIndex((c) => c.call === 'rename' && c.path === target);
  expect(renamed, `no rename to ${name}`).toBeGreaterThanOrEqual(0);
  const flushed = calls.findIndex(
    (c) => c.call === 'sync' && c.path.startsWith(join(folder, `.${name}.`)) && c.path.endsWith('.tmp'),
  );
  expect(flushed, `${name} was not flushed before its rename`).toBeGreaterThanOrEqual(0);
  expect(flushed).toBeLessThan(renamed);
  const folderFlushed = calls.findIndex((c, i) => i > renamed && c.call === 'sync' && c.path === folder);
  expect(folderFlushed, `the folder was not flushed after ${name} was renamed`).toBeGreaterThan(renamed);
}

describe.skipIf(!existsSync(STRACE))('durable writes in training (traced with strace)', () => {
  it('writeWeightsFiles flushes the data and the manifest, each before its rename, and the folder after', () => {
    const dir = mkdtempSync(join(work, 'weights-'));
    const base = join(dir, 'model');
    const calls = traced(
      `const { encodeWeights, writeWeightsFiles } = await import('./main/site/train/models/weights-format.ts');` +
        `const tensor = { name: 'w', shape: [2], values: new Float32Array([1, 2]), trainable: true };` +
        `await writeWeightsFiles(${JSON.stringify(base)}, encodeWeights([tensor], { model: 'test' }));`,
    );
    expectDurable(calls, dir, 'model.bin');
    expectDurable(calls, dir, 'model.json');
    expect(readFileSync(`${base}.json`, 'utf8')).toContain('radfed-weights');
  });

  it("saveCheckpoint flushes the epoch's state.json before it renames the epoch folder into place", () => {
    const dir = mkdtempSync(join(work, 'checkpoint-'));
    const calls = traced(
      `const { createModel } = await import('./main/site/train/models/index.ts');` +
        `const { saveCheckpoint } = await import('./main/site/train/trainer/checkpoint.ts');` +
        `const model = createModel('reference-cnn', { inputSize: 32, channels: 1, numClasses: 2 });` +
        `const state = { fingerprint: 'f', epochsDone: 1, bestEpoch: 0, bestScore: 0.5, epochsWithoutImprovement: 0, history: [] };` +
        `await saveCheckpoint(${JSON.stringify(dir)}, model, { name: 'adam', state: [] }, state);`,
    );
    const epoch = join(dir, 'epoch-0001');
    const placed = calls.findIndex((c) => c.call === 'rename' && c.path === epoch);
    expect(placed, 'the epoch folder was not renamed into place').toBeGreaterThanOrEqual(0);
    const staging = (path: string) => path.startsWith(`${epoch}.partial-`);
    // state.json's temporary flushed, renamed to its name, and the staging folder flushed, all before.
    const stateFlushed = calls.findIndex(
      (c) => c.call === 'sync' && staging(c.path) && /\/\.state\.json\.[^/]*\.tmp$/.test(c.path),
    );
    expect(stateFlushed, 'state.json was not flushed').toBeGreaterThanOrEqual(0);
    expect(stateFlushed).toBeLessThan(placed);
    const stateNamed = calls.findIndex(
      (c) => c.call === 'rename' && staging(c.path) && c.path.endsWith('/state.json'),
    );
    expect(stateNamed).toBeGreaterThan(stateFlushed);
    expect(stateNamed).toBeLessThan(placed);
    expect(readFileSync(join(epoch, 'state.json'), 'utf8')).toContain('"epochsDone": 1');
  });

  it('writeCached renames a prepared image into place from a temporary file, flushes nothing, and writes its checksum', () => {
    const dir = mkdtempSync(join(work, 'cache-'));
    const key = 'ab'.padEnd(64, '0');
    const calls = traced(
      `const { writeCached } = await import('./main/site/train/data/prepared-cache.ts');` +
        `await writeCached(${JSON.stringify(dir)}, ${JSON.stringify(key)}, 2, new Float32Array([1, 2, 3, 4]));`,
    );
    const folder = join(dir, 'ab');
    const target = join(folder, `${key}.f32`);
    // Only the cache's own calls: tsx may rename and flush files of its own cache as it starts.
    const ours = calls.filter((c) => c.path.startsWith(dir));
    expect(ours.filter((c) => c.call === 'rename').map((c) => c.path)).toEqual([target]);
    // Not one fsync: not of the temporary file, nor the entry, nor its folder.
    expect(ours.filter((c) => c.call === 'sync')).toEqual([]);
    // The header's fifth word is the CRC-32 of the rest of the entry (prepared-cache.ts).
    const bytes = readFileSync(target);
    expect(bytes.length).toBe(20 + 4 * 4);
    const checksum = crc32(bytes.subarray(20), crc32(bytes.subarray(0, 16)));
    expect(bytes.readUInt32LE(16)).toBe(checksum);
    expect(bytes.readFloatLE(20 + 3 * 4)).toBe(4);
  });
});
