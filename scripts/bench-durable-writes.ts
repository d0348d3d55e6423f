// What flushing costs a prepared-image cache entry: writeCached (the one atomic writer: fsync of the
// file, rename, fsync of the folder) against the write it replaced (a temporary file renamed into
// place, no fsync), alternating, in one process. Figures in docs/benchmarks.md.
//   node --import tsx scripts/bench-durable-writes.ts [entries=1000] [size=256] [rounds=3]
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeCached } from '../main/site/train/data/index.ts';

const [entries = 1000, size = 256, rounds = 3] = process.argv.slice(2).map(Number);
const values = new Float32Array(size * size).fill(0.5);
const bytes = Buffer.from(values.buffer); // the same size as an entry; the header is 16 bytes more

/** The write path before the one writer, kept here only to measure against. */
async function unflushedWrite(dir: string, key: string): Promise<void> {
  await mkdir(join(dir, key.slice(0, 2)), { recursive: true });
  const path = join(dir, key.slice(0, 2), `${key}.f32`);
  const temporary = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  await writeFile(temporary, bytes);
  await rename(temporary, path);
}

const contenders = {
  'temporary + rename, no fsync (before)': unflushedWrite,
  'writeCached: fsync, rename, fsync folder (now)': (dir: string, key: string) =>
    writeCached(dir, key, size, values),
};
const perEntryMs: Record<string, number[]> = {};
for (let round = 0; round < rounds; round++) {
  for (const [name, write] of Object.entries(contenders)) {
    const dir = mkdtempSync(join(tmpdir(), 'radfed-durable-bench-'));
    const started = performance.now();
    for (let i = 0; i < entries; i++)
      await write(dir, createHash('sha256').update(`${round}/${i}`).digest('hex'));
    (perEntryMs[name] ??= []).push(Number(((performance.now() - started) / entries).toFixed(2)));
    rmSync(dir, { recursive: true, force: true });
  }
}
console.log(JSON.stringify({ entries, size, rounds, perEntryMs }, null, 1));
