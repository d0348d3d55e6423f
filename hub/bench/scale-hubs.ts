// The hubs a scale run talks to: one hub on its SQLite file (the default), or 1..N replicas of one hub
// folder on PostgreSQL, in this process, each on its own loopback port, sharing a blob folder or keeping
// the blobs in the database too (`--blobs postgres`). Each run
// on PostgreSQL gets a schema of its own (search_path), so runs on one database never meet (a database
// belongs to one hub identity) and the schema is dropped afterwards.
import { cpSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import type { RoundEvent } from '../rounds.ts';
import { startHub, type RunningHub } from '../server/start-hub.ts';
import { initHub } from '../setup/index.ts';

export interface ScaleStore {
  /** postgres://… : the run's state goes to a fresh schema of this database. */
  readonly database: string;
  /** Replicas of the hub on it (default 1). */
  readonly replicas?: number;
  /** Where the blobs and upload spools live: a folder the replicas share (default) or the database. */
  readonly blobs?: 'folder' | 'postgres';
}

export interface ScaleHubs {
  readonly hubs: readonly RunningHub[];
  close(): Promise<void>;
}

function withSearchPath(url: string, schema: string): string {
  const parsed = new URL(url);
  parsed.searchParams.set('options', `-c search_path=${schema}`);
  return parsed.toString();
}

export async function startScaleHubs(
  root: string,
  store: ScaleStore | undefined,
  onRoundEvent: (event: RoundEvent) => void,
): Promise<ScaleHubs> {
  const dir = join(root, 'hub');
  await initHub({ dir });
  const common = { port: 0, logger: false as const, tickMs: 200, onRoundEvent };
  if (store === undefined) {
    const hub = await startHub({ ...common, dir });
    return { hubs: [hub], close: () => hub.close() };
  }
  const schema = `radfed_bench_${process.pid}_${Date.now()}`;
  const admin = new pg.Client({ connectionString: store.database });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  const database = withSearchPath(store.database, schema);
  const shared = join(root, 'shared');
  mkdirSync(shared);
  const hubs: RunningHub[] = [];
  try {
    for (let i = 0; i < (store.replicas ?? 1); i += 1) {
      const copy = i === 0 ? dir : join(root, `replica-${i + 1}`);
      if (i > 0) cpSync(dir, copy, { recursive: true });
      hubs.push(
        await startHub({
          ...common,
          dir: copy,
          store: {
            database,
            blobs: store.blobs === 'postgres' ? { kind: 'postgres' } : { kind: 'folder', path: shared },
          },
        }),
      );
    }
  } catch (error) {
    await Promise.all(hubs.map((hub) => hub.close()));
    await admin.query(`DROP SCHEMA ${schema} CASCADE`);
    await admin.end();
    throw error;
  }
  return {
    hubs,
    close: async () => {
      await Promise.all(hubs.map((hub) => hub.close()));
      await admin.query(`DROP SCHEMA ${schema} CASCADE`);
      await admin.end();
    },
  };
}
