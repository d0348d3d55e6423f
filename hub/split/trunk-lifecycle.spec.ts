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
import { selectBackend, tf } from '../../main/site/train/backend/index.ts';
import { decodeTrunkState, TrunkKeeper } from '../../main/site/train/split/index.ts';
import { decodeCutFrameHeader } from '../../shared/federation/split/index.ts';
import type { SiteEnrollment } from '../../shared/node/federation/index.ts';
import { createTask, stopTask } from '../tasks.ts';
import { enrollTestSite, makeTestHub, type TestHub } from '../testing/test-hub.ts';
import { activeSplitTasks } from './split-tasks.ts';
import { rawSplitSocket, splitSessionRefusal } from './testing/split-session-refusal.ts';
import { splitTestSite, splitTestTask, splitTestTrunk } from './testing/split-test-site.ts';
import { maxParameterDifference, runSplitTestSteps, unbrokenSplitRun } from './testing/split-test-steps.ts';
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
  return (await createTask(hub.ctx, splitTestTask())).id;
}

/** A session opened as a raw WebSocket: whether it opened, and how the hub closed it. */
function rawSession(site: SiteEnrollment, taskId: string) {
  const socket = rawSplitSocket(site, taskId);
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
      expect(await splitSessionRefusal(site, taskId)).toMatchObject({
        code: 'task-not-active',
        retry: 'never',
      });
    } finally {
      keeper.close();
    }
  }, 60_000);

  it('is refused for good even before the keeper\u2019s next look, and the hub lets its trunk go then', async () => {
    const { test, site } = await splitHub();
    const { hub } = test;
    const taskId = await splitTask(hub);
    const { trunk, model } = splitTestTrunk();
    await hub.split.serveTrunk(taskId, trunk);
    await stopTask(hub.ctx, taskId);
    expect(hub.split.servesTrunk(taskId)).toBe(true); // nothing has looked yet
    const error = await splitSessionRefusal(site, taskId);
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
    const { trunk, model: hubModel } = splitTestTrunk({ dtype: 'float16' });
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
    await runSplitTestSteps(site, STEPS, BATCH);

    expect(refusals).toEqual([
      expect.stringMatching(/could not save the trunk .* undid the step; send its activations again/),
    ]);
    // Every gradient answered was in the written checkpoint when its answer came: none answered unsaved.
    expect(answered.map((a) => a.step)).toEqual([0, 1, 2, 3, 4, 5]);
    for (const { step, saved } of answered) expect(saved).toBe(step);
    // Step 2 went to the trunk twice (undone once) and counts once; the run is the unbroken run.
    expect(exchanges).toBe(2 * STEPS + 2);
    expect(trunk.appliedSteps).toBe(STEPS);
    const reference = await unbrokenSplitRun(site.session, STEPS, BATCH);
    expect(await maxParameterDifference(trunk.trunk.parameters, reference.trunk)).toBeLessThan(1e-6);
    expect(await maxParameterDifference(site.site.segmentParameters, reference.site)).toBeLessThan(1e-6);
    site.dispose();
    hubModel.dispose();
  }, 120_000);
});
