// A split task's trunk from its first step to its task's end, at a real hub on a loopback port with a
// real trunk: (a) when the task ends, the hub stops serving the trunk (its sessions are closed, its
// lock released, its tensors freed by the keeper) and a session for it is refused for good, instead of
// the trunk being held until the hub stops; (b) a checkpoint write that fails (the checkpoint's path
// taken by a folder, so the rename that ends the write fails; on PostgreSQL the table renamed away)
// rolls the trunk back and the site starts the step again: every answered step is in the checkpoint
// when its answer goes, and the run ends with the trunk and the site exactly as an unbroken run's.
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { selectBackend, tf } from '../../main/site/train/backend/index.ts';
import { createModel, type NamedTensor } from '../../main/site/train/models/index.ts';
import {
  adamOptimizer,
  decodeTrunkState,
  HubTrunk,
  SplitSite,
  TrunkKeeper,
} from '../../main/site/train/split/index.ts';
import { noduleBatch, nodules } from '../../main/site/train/split/testing/nodule-batches.ts';
import { decodeCutFrameHeader, splitSessionPath } from '../../shared/federation/split/index.ts';
import { loadPrivateKey, signRequest, type SiteEnrollment } from '../../shared/node/federation/index.ts';
import { SplitConnection, SplitConnectionError } from '../../shared/node/split/index.ts';
import { createTask, stopTask } from '../tasks.ts';
import { enrollTestSite, makeTestHub, testTask, type TestHub } from '../testing/test-hub.ts';
import { activeSplitTasks } from './split-tasks.ts';
import { SPLIT_TEST_MODEL, splitTestSite } from './testing/split-test-site.ts';
import { trunkCheckpointPath } from './trunk-checkpoint-file.ts';
import { trunkCheckpointsFor } from './trunk-checkpoints.ts';

let test: TestHub | undefined;
beforeAll(async () => {
  await selectBackend({ choice: 'wasm' });
});
afterEach(async () => {
  await test?.cleanup();
  test = undefined;
});

async function splitHub(): Promise<{ test: TestHub; site: SiteEnrollment }> {
  test = await makeTestHub();
  return { test, site: (await enrollTestSite(test.hub, 'north')).enrollment };
}

async function splitTask(hub: TestHub['hub']): Promise<string> {
  const definition = testTask({
    model: { name: SPLIT_TEST_MODEL.architecture },
    input: { size: SPLIT_TEST_MODEL.config.inputSize },
    strategy: { name: 'splitfed' },
  });
  return (await createTask(hub.ctx, definition)).id;
}

const newSession = () => Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString('hex');

/** A signed session as a raw WebSocket: whether it opened, and how the hub closed it. */
function rawSession(site: SiteEnrollment, taskId: string) {
  const path = splitSessionPath(taskId, newSession());
  const headers = signRequest({
    method: 'GET',
    path,
    siteId: site.siteId,
    privateKey: loadPrivateKey(site.signingPrivateKeyPem),
  });
  const socket = new WebSocket(new URL(path, site.hubUrl.replace(/^https/, 'wss')), {
    ca: site.caPem,
    headers,
  });
  const opened = new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('unexpected-response', (_request, response) =>
      reject(new Error(`refused ${response.statusCode ?? 0}`)),
    );
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    socket.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  socket.on('error', () => undefined);
  return { opened, closed };
}

async function refusal(site: SiteEnrollment, taskId: string): Promise<SplitConnectionError> {
  const error: unknown = await SplitConnection.open({
    hubUrl: site.hubUrl,
    caPem: site.caPem,
    siteId: site.siteId,
    signingPrivateKeyPem: site.signingPrivateKeyPem,
    taskId,
    session: newSession(),
  }).then(
    (connection) => {
      connection.close();
      return new Error('the session opened');
    },
    (refused: unknown) => refused,
  );
  expect(error).toBeInstanceOf(SplitConnectionError);
  return error as SplitConnectionError;
}

describe('a split task that ends', () => {
  it('has its trunk let go: sessions closed, lock released, tensors freed, and a new session refused for good', async () => {
    const { test, site } = await splitHub();
    const { hub } = test;
    const keeper = new TrunkKeeper({
      splitTasks: () => activeSplitTasks(hub.ctx),
      serveTrunk: (taskId, engine) => hub.split.serveTrunk(taskId, engine),
      releaseTrunk: (taskId) => hub.split.releaseTrunk(taskId),
      claimTrunk: (taskId) => hub.split.claimTrunk(taskId),
      servesTrunk: (taskId) => hub.split.servesTrunk(taskId),
      pollMs: 3_600_000, // looks are made by the test
    });
    const taskId = await splitTask(hub);
    const memoryBefore = tf.memory().numBytes;
    await keeper.start();
    try {
      expect(keeper.trunks.has(taskId)).toBe(true);
      const held = tf.memory().numBytes - memoryBefore;
      expect(held).toBeGreaterThan(1_000_000); // the model's 304,466 float32 values the trunk is cut from
      expect(await hub.ctx.store.sql.holdLock(`trunk:${taskId}`)).toBeUndefined();
      const session = rawSession(site, taskId);
      await session.opened;

      await stopTask(hub.ctx, taskId);
      await keeper.serveNewTasks();
      expect(await session.closed).toEqual({ code: 1001, reason: 'the task has ended' });
      expect(keeper.trunks.has(taskId)).toBe(false);
      expect(hub.split.servesTrunk(taskId)).toBe(false);
      expect(tf.memory().numBytes - memoryBefore).toBeLessThan(held / 10);
      const lock = await hub.ctx.store.sql.holdLock(`trunk:${taskId}`);
      expect(lock).toBeDefined();
      await lock!.release();
      expect(await refusal(site, taskId)).toMatchObject({ code: 'task-not-active', retry: 'never' });
    } finally {
      keeper.close();
    }
  }, 60_000);

  it('is refused for good even before the keeper\u2019s next look, and the hub lets its trunk go then', async () => {
    const { test, site } = await splitHub();
    const { hub } = test;
    const taskId = await splitTask(hub);
    const { architecture, config } = SPLIT_TEST_MODEL;
    const model = createModel(architecture, config);
    await hub.split.serveTrunk(taskId, new HubTrunk(model, { optimizer: adamOptimizer(0.01) }));
    await stopTask(hub.ctx, taskId);
    expect(hub.split.servesTrunk(taskId)).toBe(true); // nothing has looked yet
    const error = await refusal(site, taskId);
    expect(error).toMatchObject({ code: 'task-not-active', retry: 'never' });
    expect(error.message).toMatch(/is stopped; the hub no longer serves its trunk/);
    expect(hub.split.servesTrunk(taskId)).toBe(false);
    const lock = await hub.ctx.store.sql.holdLock(`trunk:${taskId}`);
    expect(lock).toBeDefined();
    await lock?.release();
    model.dispose();
  }, 60_000);
});

const BATCH = 16;
const STEPS = 6;
/** The exchange whose checkpoint write fails: step 2's gradient (two exchanges a step, from 1). */
const FAILING_EXCHANGE = 6;

/** The same steps in one process with nothing failing: what the run must end equal to. */
async function unbrokenRun(session: string) {
  const { architecture, config } = SPLIT_TEST_MODEL;
  const site = new SplitSite(createModel(architecture, config), {
    session,
    dtype: 'float16',
    optimizers: { bottom: adamOptimizer(0.01), head: adamOptimizer(0.01) },
  });
  const trunk = new HubTrunk(createModel(architecture, config), {
    dtype: 'float16',
    optimizer: adamOptimizer(0.01),
  });
  const data = nodules(STEPS * BATCH, 7);
  for (let step = 0; step < STEPS; step++) {
    const { images, labels } = noduleBatch(data, step, BATCH);
    const head = await site.headStep(
      await trunk.forwardTrunk(await site.forwardBottom(step, step, images)),
      labels,
    );
    await site.backwardBottom((await trunk.backwardTrunk(head.frame)).frame);
    images.dispose();
  }
  return { site: site.segmentParameters, trunk: trunk.trunk.parameters };
}

async function maxDifference(a: readonly NamedTensor[], b: readonly NamedTensor[]): Promise<number> {
  expect(a.map((t) => t.name)).toEqual(b.map((t) => t.name));
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const x = (await a[i]!.variable.data()) as Float32Array;
    const y = (await b[i]!.variable.data()) as Float32Array;
    for (let j = 0; j < x.length; j++) worst = Math.max(worst, Math.abs(x[j]! - y[j]!));
  }
  return worst;
}

/** Makes the next checkpoint write fail, and undoes that: the engine's own store, really failing. */
function checkpointBreaker(hub: TestHub['hub'], dir: string, taskId: string) {
  const sql = hub.ctx.store.sql;
  if (sql.engine === 'sqlite') {
    const path = trunkCheckpointPath(dir, taskId);
    return {
      // A folder (not empty) where the checkpoint goes: the write's final rename onto it fails.
      break: () => {
        renameSync(path, `${path}.kept`);
        mkdirSync(path);
        writeFileSync(join(path, 'in-the-way'), '');
      },
      mend: () => {
        rmSync(path, { recursive: true });
        renameSync(`${path}.kept`, path);
      },
    };
  }
  return {
    break: () => sql.run('ALTER TABLE split_trunk_checkpoints RENAME TO split_trunk_checkpoints_away'),
    mend: () => sql.run('ALTER TABLE split_trunk_checkpoints_away RENAME TO split_trunk_checkpoints'),
  };
}

describe('a trunk checkpoint that cannot be written', () => {
  it('undoes the step and has the site start it again: applied once, never answered unsaved', async () => {
    const { test, site: enrollment } = await splitHub();
    const { hub } = test;
    const taskId = await splitTask(hub);
    const { architecture, config } = SPLIT_TEST_MODEL;
    const hubModel = createModel(architecture, config);
    const trunk = new HubTrunk(hubModel, { dtype: 'float16', optimizer: adamOptimizer(0.01) });
    await hub.split.serveTrunk(taskId, trunk);
    const checkpoints = trunkCheckpointsFor(hub.ctx);
    const breaker = checkpointBreaker(hub, test.dir, taskId);

    let exchanges = 0;
    const refusals: string[] = [];
    /** For each answered gradient: its step, and the step the written checkpoint holds for the session. */
    const answered: { step: number; saved: number }[] = [];
    const site = splitTestSite(enrollment, taskId, {
      wrap: (connection) => ({
        close: () => connection.close(),
        exchange: async (frame) => {
          exchanges += 1;
          const { kind, step } = decodeCutFrameHeader(frame);
          if (exchanges === FAILING_EXCHANGE) await breaker.break();
          try {
            const answer = await connection.exchange(frame);
            if (kind === 'cut2-gradient') {
              const saved = decodeTrunkState((await checkpoints.read(taskId))!.engine);
              answered.push({ step, saved: saved.sessions.find((s) => s.session === site.session)!.step });
            }
            return answer;
          } catch (error) {
            refusals.push((error as Error).message);
            throw error;
          } finally {
            if (exchanges === FAILING_EXCHANGE) await breaker.mend();
          }
        },
      }),
    });
    const data = nodules(STEPS * BATCH, 7);
    for (let step = 0; step < STEPS; step++) {
      const { images, labels } = noduleBatch(data, step, BATCH);
      await site.runner.step(step, step, images, labels);
      images.dispose();
    }

    expect(refusals).toEqual([
      expect.stringMatching(/could not save the trunk .* undid the step; send its activations again/),
    ]);
    // Every gradient answered was in the written checkpoint when its answer came: none answered unsaved.
    expect(answered.map((a) => a.step)).toEqual([0, 1, 2, 3, 4, 5]);
    for (const { step, saved } of answered) expect(saved).toBe(step);
    // Step 2 went to the trunk twice (undone once) and counts once; the run is the unbroken run.
    expect(exchanges).toBe(2 * STEPS + 2);
    expect(trunk.appliedSteps).toBe(STEPS);
    const reference = await unbrokenRun(site.session);
    expect(await maxDifference(trunk.trunk.parameters, reference.trunk)).toBeLessThan(1e-6);
    expect(await maxDifference(site.site.segmentParameters, reference.site)).toBeLessThan(1e-6);
    site.dispose();
    hubModel.dispose();
  }, 120_000);
});
