// Three hub replicas (child processes, each on a copy of one hub folder) on one real PostgreSQL, behind a
// real HAProxy, with three sites taking a task through the balancer. kill -9 of one replica while a
// site's upload is half sent, and of the replica that holds the round's lock while it publishes: the task
// finishes, every acknowledged upload is used once, and the published models are the very bytes a single
// SQLite hub publishes for the same task, weights and updates. Twice: with blobs and upload spools in a
// folder every replica mounts, and with them in PostgreSQL (`--blobs postgres`), where the replicas
// share nothing but the database.
//
// Catching a replica inside its locked step: the test holds the task's row (FOR NO KEY UPDATE) while
// the last update of round 2 arrives. The replica that wins the round's advisory lock then waits on that
// row inside its publish transaction (setting the server state), holding the lock; pg_locks says which
// replica it is (each connects with its own application_name), and that one is killed.
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { Agent } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeWeights, type NamedTensor } from '../shared/federation/index.ts';
import { enrollSite, HubClient } from '../shared/node/federation/index.ts';
import { createEnrollmentToken } from './enrollment.ts';
import { openHubContextFor, type HubContext } from './hub-context.ts';
import { initHub } from './setup/index.ts';
import { parseBlobsChoice, writeStoreChoice } from './store-choice.ts';
import { createTask } from './tasks.ts';
import { startHaproxy, type RunningHaproxy } from './testing/haproxy-server.ts';
import { startPostgresServer, type PostgresServer } from './testing/postgres-server.ts';
import { makeTestHub, testTask, testWeights } from './testing/test-hub.ts';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const TASK = testTask({ quorum: 3, rounds: 2, roundDeadlineSeconds: 3600 });
const INITIAL = encodeWeights(testWeights(4, 0.1, 256));
// Exact binary fractions and example counts: the average is exact whatever order the updates are summed in.
const FILLS = [0.25, -0.125, 0.5];
const EXAMPLES = [4, 4, 8];
const NAMES = ['Kestrel', 'Merlin', 'Hobby'];

let server: PostgresServer;
let root: string;
let database: string;
const replicas = new Map<string, ChildProcess>();
let haproxy: RunningHaproxy;
let ctx: HubContext;

function spawnReplica(name: string, dir: string, blobs: string): Promise<number> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'hub/testing/replica-child.ts', dir, `${database}?application_name=${name}`, blobs],
    { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  replicas.set(name, child);
  return new Promise((resolve, reject) => {
    let output = '';
    child.stdout?.on('data', (part: Buffer) => {
      output += part.toString();
      const match = /listening on https:\/\/\S+:(\d+)/.exec(output);
      if (match) resolve(Number(match[1]));
    });
    child.stderr?.on('data', (part: Buffer) => {
      output += part.toString();
      step(`${name} says: ${part.toString()}`);
    });
    child.on('exit', (code) => step(`${name} exited (${code})`));
    child.on('exit', (code) =>
      reject(new Error(`replica ${name} exited (${code}) before listening: ${output}`)),
    );
  });
}

function kill(name: string): Promise<void> {
  const child = replicas.get(name);
  replicas.delete(name);
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

/** A site's request through the balancer, tried again while a killed replica's connections fail. */
async function retried<T>(run: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await run();
    } catch (error) {
      const status = (error as { status?: number }).status;
      step(`retry after ${(error as Error).message}`);
      if (attempt >= 20 || (status !== undefined && status < 500)) throw error;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

const step = (what: string): void => {
  if (process.env.RADFED_TEST_TRACE)
    process.stderr.write(`[replicated] ${new Date().toISOString()} ${what}\n`);
};

async function until<T>(check: () => Promise<T | false | undefined>, what: string): Promise<T> {
  step(`waiting for ${what}`);
  const deadline = Date.now() + 60_000;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function sealFor(client: HubClient, taskId: string, round: number, base: NamedTensor[], i: number) {
  const delta = base.map((t): NamedTensor => ({ ...t, data: t.data.map(() => FILLS[i]!) }));
  return client.seal({
    taskId,
    round,
    kind: 'delta',
    weights: delta,
    baseVersion: round - 1,
    examples: EXAMPLES[i]!,
    compression: 'none',
  });
}

async function roundCollecting(client: HubClient, taskId: string, round: number): Promise<void> {
  await until(async () => {
    const view = await retried(() => client.getRound(taskId));
    step(`round view ${view.round} ${view.state}`);
    return view.round === round && view.state === 'collecting';
  }, `round ${round} collecting`);
}

beforeAll(async () => {
  server = await startPostgresServer();
}, 120_000);
afterAll(async () => {
  await server?.stop();
});

/** Blob files and upload spools anywhere under a folder (a replica's hub folder). */
const blobFilesUnder = (folder: string): string[] =>
  readdirSync(folder, { recursive: true, encoding: 'utf8' }).filter(
    (name) => /(^|\/)blobs\/[0-9a-f]{2}\//.test(name) || name.endsWith('.part'),
  );

describe.each(['folder', 'postgres'] as const)(
  'replicated hub on PostgreSQL behind HAProxy, blobs in %s',
  (kind) => {
    beforeAll(async () => {
      database = await server.createDatabase(`replicated_${kind}`);
      root = mkdtempSync(join(tmpdir(), 'radfed-replicas-'));
      const first = join(root, 'r1');
      await initHub({ dir: first, name: 'replicated hub' });
      const shared = join(root, 'shared');
      mkdirSync(shared);
      // IT copies one hub folder to each machine; the blobs and upload spools live in a folder all
      // mount, or in the database.
      const blobs = kind === 'postgres' ? 'postgres' : `folder:${shared}`;
      writeStoreChoice(first, { database, blobs: parseBlobsChoice(blobs) });
      for (const name of ['r2', 'r3']) cpSync(first, join(root, name), { recursive: true });
      const ports = [];
      for (const name of ['r1', 'r2', 'r3'])
        ports.push({ name, port: await spawnReplica(name, join(root, name), blobs) });
      haproxy = await startHaproxy(ports, { healthPath: '/v1/hub/health' });
      ctx = await openHubContextFor(first, { store: { database, blobs: parseBlobsChoice(blobs) } });
    }, 180_000);

    afterAll(async () => {
      await ctx?.store.close();
      await haproxy?.stop();
      for (const name of [...replicas.keys()]) await kill(name);
      rmSync(root, { recursive: true, force: true });
    });

    it('finishes a task through kill -9 mid-upload and of the lock holder mid-publish, as one hub would', async () => {
      const hubUrl = `https://127.0.0.1:${haproxy.port}`;
      const taskId = (await createTask(ctx, TASK, INITIAL)).id;
      step('task created');
      const clients: HubClient[] = [];
      for (const siteName of NAMES) {
        const { token } = await createEnrollmentToken(ctx, { hubUrl, expiresInMs: 3_600_000 });
        // A new connection per request: HAProxy deals each one to the next replica, as it would many sites.
        const enrollment = await retried(() => enrollSite({ token, siteName }));
        clients.push(HubClient.fromEnrollment(enrollment, { agent: new Agent({ keepAlive: false }) }));
      }
      step('enrolled');
      for (const client of clients) await retried(() => client.joinTask(taskId));
      step('joined');

      // Round 1: the third site's upload is half sent when a replica dies; it resumes through another.
      await roundCollecting(clients[0]!, taskId, 1);
      const base0 = (await retried(() => clients[0]!.downloadModel(taskId, 0))).weights;
      step('downloaded v0');
      for (const i of [0, 1]) {
        step(`site ${i} uploads`);
        const sealed = sealFor(clients[i]!, taskId, 1, base0, i);
        await retried(() => clients[i]!.uploadSealed(taskId, sealed));
      }
      const third = sealFor(clients[2]!, taskId, 1, base0, 2);
      let killedMidUpload = false;
      await retried(() =>
        clients[2]!.uploadSealed(taskId, third, {
          chunkBytes: 1024,
          onProgress: (progress) => {
            if (killedMidUpload || progress.sentBytes < 2048) return;
            killedMidUpload = true;
            replicas.get('r1')?.kill('SIGKILL'); // the next chunk finds r1 gone
          },
        }),
      );
      expect(killedMidUpload).toBe(true);
      await kill('r1');
      await until(async () => (await ctx.store.models.latestModel(taskId))?.version === 1, 'model v1');

      // Round 2: hold the task's row so the replica that takes the round's lock stops inside its publish.
      await roundCollecting(clients[0]!, taskId, 2);
      const base1 = (await retried(() => clients[0]!.downloadModel(taskId, 1))).weights;
      const holder = new pg.Client({ connectionString: database });
      await holder.connect();
      await holder.query('BEGIN');
      await holder.query('SELECT id FROM tasks WHERE id = $1 FOR NO KEY UPDATE', [taskId]);
      for (const i of [0, 1, 2]) {
        const sealed = sealFor(clients[i]!, taskId, 2, base1, i);
        await retried(() => clients[i]!.uploadSealed(taskId, sealed));
      }
      const lockHolder = await until(async () => {
        const { rows } = await holder.query<{ application_name: string }>(
          `SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
         WHERE l.locktype = 'advisory' AND l.granted AND a.wait_event_type = 'Lock'`,
        );
        return rows[0]?.application_name;
      }, 'a replica holding the round lock inside its publish');
      expect(['r2', 'r3']).toContain(lockHolder);
      await kill(lockHolder);
      await holder.query('ROLLBACK');
      await holder.end();
      await until(async () => (await ctx.store.tasks.task(taskId))?.state === 'completed', 'task completed');

      // Every acknowledged upload used once: one accepted update per site per round, and two models.
      for (const round of [1, 2]) {
        const accepted = await ctx.store.uploads.acceptedUpdates(taskId, round);
        expect(accepted.map((s) => s.site_id).sort()).toEqual(
          [...new Set(accepted.map((s) => s.site_id))].sort(),
        );
        expect(accepted).toHaveLength(3);
      }
      const replicated = (await ctx.store.models.models(taskId)).map((m) => m.blob_sha256);
      expect(replicated).toHaveLength(3);
      if (kind === 'postgres') {
        // Nothing on any replica's disk: every model and update is in the database, and no upload waits.
        for (const name of ['r1', 'r2', 'r3']) expect(blobFilesUnder(join(root, name)), name).toEqual([]);
        for (const sha256 of replicated) expect(await ctx.store.blobs.has(sha256)).toBe(true);
        expect(await ctx.store.sql.get('SELECT count(*)::int AS n FROM hub_upload_spool')).toEqual({ n: 0 });
      }

      // The same task on one SQLite hub, with the same updates: the same model bytes.
      const single = await makeTestHub();
      try {
        const one = single.hub.ctx;
        const soloTask = (await createTask(one, TASK, INITIAL)).id;
        const solo: HubClient[] = [];
        for (const siteName of NAMES) {
          const { token } = await single.hub.createToken();
          solo.push(HubClient.fromEnrollment(await enrollSite({ token, siteName })));
        }
        for (const client of solo) await client.joinTask(soloTask);
        for (const round of [1, 2]) {
          await roundCollecting(solo[0]!, soloTask, round);
          const base = (await solo[0]!.downloadModel(soloTask, round - 1)).weights;
          for (const i of [0, 1, 2])
            await solo[i]!.uploadSealed(soloTask, sealFor(solo[i]!, soloTask, round, base, i));
          await until(
            async () => (await one.store.models.latestModel(soloTask))?.version === round,
            `solo v${round}`,
          );
        }
        expect((await one.store.models.models(soloTask)).map((m) => m.blob_sha256)).toEqual(replicated);
      } finally {
        await single.cleanup();
      }
    }, 240_000);
  },
);
