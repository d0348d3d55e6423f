// Split learning on a replicated hub: three replicas (child processes, each on a copy of one hub
// folder) on one real PostgreSQL, behind a real HAProxy, one split task. One replica at a time holds
// the task's trunk lock and serves its trunk; the others answer a session 503 "served by another
// replica" so the site's retry goes on through the balancer. kill -9 of the replica serving the trunk,
// twice (just after a site's activations reached it, just after a gradient did): the next replica's
// keeper takes the lock, restores the trunk from the checkpoint in the database, and the site finishes.
// At the end the trunk and the site's segments are exactly those of the same steps run without any
// failure: no step was lost and none applied twice. Then the last replica's lock connection is cut:
// it stops serving, takes the lock again and restores every step. Skipped, by name, where PostgreSQL
// or HAProxy is not installed (scripts/install-test-deps.sh installs both).
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enrollSite, type SiteEnrollment } from '../../shared/node/federation/index.ts';
import { selectBackend } from '../../main/site/train/backend/index.ts';
import { createEnrollmentToken } from '../enrollment.ts';
import { openHubContextFor, type HubContext } from '../hub-context.ts';
import { initHub } from '../setup/index.ts';
import { parseBlobsChoice, writeStoreChoice } from '../store-choice.ts';
import { createTask } from '../tasks.ts';
import { HAPROXY, startHaproxy, type RunningHaproxy } from '../testing/haproxy-server.ts';
import { postgresBinDir, startPostgresServer, type PostgresServer } from '../testing/postgres-server.ts';
import { splitSessionRefusal } from './testing/split-session-refusal.ts';
import { splitTestSite, splitTestTask, splitTestTrunk } from './testing/split-test-site.ts';
import { maxParameterDifference, runSplitTestSteps, unbrokenSplitRun } from './testing/split-test-steps.ts';
import { trunkCheckpointsFor } from './trunk-checkpoints.ts';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const BATCH = 16;
const STEPS = 10;
/** The exchanges (counted from 1) just after which the serving replica is killed: step 3's activations, step 6's gradient. */
const KILL_AFTER = new Set([7, 14]);
const NAMES = ['r1', 'r2', 'r3'];

function installed(): boolean {
  try {
    postgresBinDir();
  } catch {
    return false;
  }
  return existsSync(HAPROXY);
}

let server: PostgresServer;
let root: string;
let database: string;
let taskId: string;
let ctx: HubContext;
let haproxy: RunningHaproxy;
const replicas = new Map<string, { child: ChildProcess; port: number }>();
/** Each time a replica took the trunk: which one, and the steps it restored. */
const servings: { name: string; applied: number }[] = [];

function spawnReplica(name: string): Promise<number> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'hub/split/testing/split-replica-child.ts',
      join(root, name),
      `${database}?application_name=${name}`,
      taskId,
    ],
    { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  return new Promise((resolve, reject) => {
    let output = '';
    child.stdout?.on('data', (part: Buffer) => {
      output += part.toString();
      const listening = /listening on https:\/\/\S+:(\d+)/.exec(output);
      if (listening && !replicas.has(name)) {
        replicas.set(name, { child, port: Number(listening[1]) });
        resolve(Number(listening[1]));
      }
      for (const served of part.toString().matchAll(/serving the trunk with (\d+) steps applied/g))
        servings.push({ name, applied: Number(served[1]) });
    });
    child.stderr?.on('data', (part: Buffer) => (output += part.toString()));
    child.on('exit', (code) =>
      reject(new Error(`replica ${name} exited (${code}) before listening: ${output}`)),
    );
  });
}

function kill(name: string): Promise<void> {
  const child = replicas.get(name)?.child;
  replicas.delete(name);
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The refusal of a session opened on one replica's own port, past the balancer. */
const refusalAt = (enrollment: SiteEnrollment, port: number) =>
  splitSessionRefusal(enrollment, taskId, { hubUrl: `https://127.0.0.1:${port}`, session: 'f'.repeat(32) });

describe.skipIf(!installed())('split learning on a replicated hub (PostgreSQL, HAProxy)', () => {
  beforeAll(async () => {
    await selectBackend({ choice: 'wasm' });
    server = await startPostgresServer();
    database = await server.createDatabase('split_replicas');
    root = mkdtempSync(join(tmpdir(), 'radfed-split-replicas-'));
    const first = join(root, NAMES[0]!);
    await initHub({ dir: first, name: 'replicated split hub' });
    const store = { database, blobs: parseBlobsChoice('postgres') };
    writeStoreChoice(first, store);
    ctx = await openHubContextFor(first, { store });
    taskId = (await createTask(ctx, splitTestTask())).id;
    for (const name of NAMES.slice(1)) cpSync(first, join(root, name), { recursive: true });
    const ports = [];
    for (const name of NAMES) ports.push({ name, port: await spawnReplica(name) });
    haproxy = await startHaproxy(ports, { healthPath: '/v1/hub/health' });
  }, 240_000);

  afterAll(async () => {
    await ctx?.store.close();
    await haproxy?.stop();
    for (const name of [...replicas.keys()]) await kill(name);
    await server?.stop();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('serves the trunk from one replica; after kill -9 of it twice, another resumes it with every step applied once', async () => {
    const hubUrl = `https://127.0.0.1:${haproxy.port}`;
    const { token } = await createEnrollmentToken(ctx, { hubUrl, expiresInMs: 3_600_000 });
    const enrollment = await enrollSite({ token, siteName: 'north' });

    // Every replica has looked for the trunk lock several times (every 200 ms): one of them serves it.
    await until(() => servings.length > 0, 'a replica serving the trunk');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(servings).toEqual([{ name: servings[0]!.name, applied: 0 }]);
    const owner = () => servings.at(-1)!.name;
    for (const [name, { port }] of replicas) {
      if (name === owner()) continue;
      const refused = await refusalAt(enrollment, port);
      expect(refused).toMatchObject({ code: 'split-trunk-not-served', retry: 'again' });
      expect(refused.message).toMatch(/served by another replica of this hub/);
    }

    let exchanges = 0;
    const killed: string[] = [];
    const site = splitTestSite(enrollment, taskId, {
      giveUpAfterMs: 120_000,
      wrap: (connection) => ({
        close: () => connection.close(),
        exchange: async (frame) => {
          exchanges += 1;
          if (!KILL_AFTER.has(exchanges)) return connection.exchange(frame);
          const answer = connection.exchange(frame);
          answer.catch(() => undefined); // it fails as the replica dies; the runner reads that below
          await new Promise((resolve) => setTimeout(resolve, 30));
          const victim = owner();
          killed.push(victim);
          await kill(victim);
          return answer;
        },
      }),
    });
    await runSplitTestSteps(site, STEPS, BATCH);

    // Three replicas took the trunk in turn, each only after the one before it was killed.
    expect(killed).toHaveLength(2);
    expect(servings.map((s) => s.name)).toEqual([killed[0], killed[1], servings[2]?.name]);
    expect(new Set(servings.map((s) => s.name)).size).toBe(3);
    // Killed at step 3's activations: steps 0–2 applied; later, more.
    expect(servings[1]!.applied).toBe(3);
    expect(servings[2]!.applied).toBeGreaterThan(3);

    const saved = await trunkCheckpointsFor(ctx).read(taskId);
    const restored = splitTestTrunk().trunk;
    restored.restore(saved!.engine);
    expect(restored.appliedSteps).toBe(STEPS);
    expect(restored.finishedStep(site.session)).toBe(STEPS - 1);

    const reference = await unbrokenSplitRun(site.session, STEPS, BATCH);
    expect(await maxParameterDifference(restored.trunk.parameters, reference.trunk)).toBeLessThan(1e-6);
    expect(await maxParameterDifference(site.site.segmentParameters, reference.site)).toBeLessThan(1e-6);
    site.dispose();

    // The last replica's lock connection dies while the replica lives (a cut network): it stops
    // serving the trunk, and its keeper takes the lock again and restores all the steps from the row.
    const last = owner();
    const lockHolder = await ctx.store.sql.get<{ pid: number }>(
      `SELECT l.pid FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
       WHERE l.locktype = 'advisory' AND l.granted AND a.application_name = @name LIMIT 1`,
      { name: last },
    );
    expect(lockHolder).toBeDefined();
    await ctx.store.sql.run('SELECT pg_terminate_backend(@pid)', { pid: lockHolder!.pid });
    await until(() => servings.length === 4, 'the trunk served again after its lock was lost');
    expect(servings[3]).toEqual({ name: last, applied: STEPS });
  }, 400_000);
});
