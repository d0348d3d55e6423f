// What a prepared-image cache entry costs to write on the first pass over a cohort: writeCached as it is
// now (a CRC-32 in the header, a temporary file renamed into place, no fsync), against the two writes
// before it: the same rename with no checksum (until 6369eb7) and the one atomic writer's flushed steps
// (fsync of the file, rename, fsync of the folder: 6369eb7 to the checksum). Alternating, in one process.
// It also times readCached over the entries just written (later passes: read, check the CRC-32, copy).
// Figures in docs/benchmarks.md, "Prepared-image cache writes".
//   node --import tsx scripts/bench-durable-writes.ts [entries=1000] [size=256] [rounds=3]
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCached, writeCached } from '../main/site/train/data/index.ts';
import { writeFileAtomicallyAsync } from '../shared/node/index.ts';

const [entries = 1000, size = 256, rounds = 3] = process.argv.slice(2).map(Number);
const values = new Float32Array(size * size).fill(0.5);
const bytes = Buffer.from(values.buffer); // the size of an entry's values; the header is 20 bytes more

const entryPath = (dir: string, key: string) => join(dir, key.slice(0, 2), `${key}.f32`);

/** The write path until 6369eb7, kept here only to measure against. */
async function unflushedWrite(dir: string, key: string): Promise<void> {
  await mkdir(join(dir, key.slice(0, 2)), { recursive: true });
  const path = entryPath(dir, key);
  const temporary = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  await writeFile(temporary, bytes);
  await rename(temporary, path);
}

/** The write path from 6369eb7 until the checksum: the one atomic writer, flushed. */
async function flushedWrite(dir: string, key: string): Promise<void> {
  await mkdir(join(dir, key.slice(0, 2)), { recursive: true });
  await writeFileAtomicallyAsync(entryPath(dir, key), bytes);
}

const NOW = 'writeCached now: CRC-32, temporary + rename, no fsync';
const contenders = {
  'temporary + rename, no fsync, no checksum (until 6369eb7)': unflushedWrite,
  'fsync, rename, fsync folder (6369eb7 until the checksum)': flushedWrite,
  [NOW]: (dir: string, key: string) => writeCached(dir, key, size, values),
};
const keyOf = (round: number, i: number) => createHash('sha256').update(`${round}/${i}`).digest('hex');
const perEntryMs: Record<string, number[]> = {};
const msPerEntry = (started: number) => Number(((performance.now() - started) / entries).toFixed(2));
for (let round = 0; round < rounds; round++) {
  for (const [name, write] of Object.entries(contenders)) {
    const dir = mkdtempSync(join(tmpdir(), 'radfed-durable-bench-'));
    let started = performance.now();
    for (let i = 0; i < entries; i++) await write(dir, keyOf(round, i));
    (perEntryMs[name] ??= []).push(msPerEntry(started));
    if (name === NOW) {
      started = performance.now();
      for (let i = 0; i < entries; i++)
        if (!(await readCached(dir, keyOf(round, i), size))) throw new Error('an entry just written missed');
      (perEntryMs['readCached (later passes): read, check CRC-32, copy'] ??= []).push(msPerEntry(started));
    }
    rmSync(dir, { recursive: true, force: true });
  }
}
console.log(JSON.stringify({ entries, size, rounds, perEntryMs }, null, 1));
