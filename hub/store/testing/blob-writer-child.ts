// A blob writer to kill: streams an endless blob into the PostgreSQL blob store, printing how many
// 1 MiB pieces the store has taken, until the test kills it with SIGKILL (postgres-blob-store.spec.ts).
import { PostgresEngine } from '../postgres-engine.ts';
import { CHUNK_BYTES, PostgresBlobStore } from '../postgres-blob-store.ts';

const url = process.argv[2];
if (!url) throw new Error('usage: blob-writer-child.ts <postgres url>');
const store = await PostgresBlobStore.open(await PostgresEngine.open(url));

function* endless(): Generator<Buffer> {
  for (let piece = 0; ; piece += 1) {
    // The store asks for the next piece only once it has stored what it held.
    process.stdout.write(`pieces taken ${piece}\n`);
    yield Buffer.alloc(CHUNK_BYTES, piece % 251);
  }
}
await store.putStream(endless());
