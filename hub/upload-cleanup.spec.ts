// Unfinished uploads against a real hub: a site may hold only a few open per round; what a closed
// round, a stopped task or a crash leaves (rows and .part files) is removed; an initial model is bounded
// by the task model's size; and the same accepted update sent again after the round moved on is
// answered with its submission instead of a refusal.
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import {
  encodeWeights,
  hubPaths,
  HubRequestError,
  modelValueCount,
  taskDefinitionSchema,
  uploadStatusSchema,
} from '../shared/federation/index.ts';
import { type HubClient } from '../shared/node/federation/index.ts';
import { startHub, type RunningHub } from './server/start-hub.ts';
import { createTask, stopTask } from './tasks.ts';
import { MAX_OPEN_UPLOADS } from './uploads.ts';
import { testEngine } from './testing/test-engine.ts';
import {
  enrollTestSite,
  makeTestHub,
  makeTestHubWithSites,
  sendDelta,
  testTask,
  testWeights,
  waitFor,
  waitForCollecting,
  type TestHub,
} from './testing/test-hub.ts';

let test: TestHub | undefined;
let restarted: RunningHub | undefined;
afterEach(async () => {
  await restarted?.close();
  restarted = undefined;
  await test?.cleanup();
  test = undefined;
});

const MiB = 1024 * 1024;
const CHUNK = 64 * 1024;

async function collectingTask(overrides: Parameters<typeof testTask>[0] = {}) {
  const started = await makeTestHubWithSites(['Ash', 'Birch']);
  test = started.test;
  const { hub } = test;
  const [ash, birch] = started.clients;
  const taskId = (
    await createTask(hub.ctx, testTask({ quorum: 2, ...overrides }), encodeWeights(testWeights(2)))
  ).id;
  await ash.joinTask(taskId);
  await birch.joinTask(taskId);
  await waitForCollecting(hub, taskId);
  return { hub, ash, birch, taskId };
}

/** Opens an upload of `bytes` (a made-up hash: it is never finished) and sends its first chunk. */
async function abandonUpload(client: HubClient, taskId: string, round: number, n: number, bytes = MiB) {
  const status = await client.call(uploadStatusSchema, 'POST', hubPaths.uploads(taskId), {
    round,
    kind: 'delta',
    bytes,
    sha256: n.toString(16).padStart(64, '0'),
    chunkBytes: CHUNK,
  });
  await client.send(
    'PUT',
    hubPaths.chunk(status.uploadId, 0),
    Buffer.alloc(CHUNK, n),
    'application/octet-stream',
  );
  return status.uploadId;
}

/** Uploads whose bytes the spool holds (.part files, or rows with `--blobs postgres`). */
const spooled = (hub: RunningHub) => hub.ctx.store.spool.held();
const openRows = async (hub: RunningHub) =>
  (await hub.ctx.store.sql.get<{ n: number }>(
    "SELECT COUNT(*) AS n FROM uploads WHERE state = 'receiving'",
  ))!;

async function outcomes(tries: Promise<unknown>[]): Promise<{ ok: number; refused: HubRequestError[] }> {
  const settled = await Promise.allSettled(tries);
  const refused = settled.flatMap((s) => (s.status === 'rejected' ? [s.reason as HubRequestError] : []));
  return { ok: settled.length - refused.length, refused };
}

describe('unfinished uploads', () => {
  it('keeps at most a few open per site and round, and removes them all when the task is stopped', async () => {
    const { hub, ash, taskId } = await collectingTask();
    const result = await outcomes(Array.from({ length: 20 }, (_, n) => abandonUpload(ash, taskId, 1, n + 1)));
    expect(result.ok).toBe(MAX_OPEN_UPLOADS);
    expect(
      result.refused.every((e) => e instanceof HubRequestError && e.hubCode === 'too-many-uploads'),
    ).toBe(true);
    expect(result.refused[0]?.message).toMatch(/already has 2 unfinished uploads for round 1/);
    expect(await spooled(hub)).toHaveLength(MAX_OPEN_UPLOADS);
    await stopTask(hub.ctx, taskId);
    expect(await spooled(hub)).toEqual([]);
    expect((await openRows(hub)).n).toBe(0);
  });

  it('removes the unfinished uploads of a round once it closes', async () => {
    const { hub, ash, birch, taskId } = await collectingTask({ roundDeadlineSeconds: 30 });
    const unfinished = await abandonUpload(ash, taskId, 1, 7);
    await sendDelta(birch, taskId, 0.1, 10);
    expect(await spooled(hub)).toHaveLength(1);
    test!.shiftClock(31_000);
    try {
      await waitFor(
        hub,
        async () => (await hub.ctx.store.tasks.round(taskId, 1))?.state === 'failed',
        'round 1 failed',
      );
    } finally {
      test!.shiftClock(-31_000);
    }
    await hub.advance();
    expect(await spooled(hub)).toEqual([]);
    expect((await openRows(hub)).n).toBe(0);
    // The site still sending hears that the round closed (it records the round as missed), not "no upload".
    const late = await ash
      .send('PUT', hubPaths.chunk(unfinished, 1), Buffer.alloc(CHUNK, 7), 'application/octet-stream')
      .then(
        () => undefined,
        (error: unknown) => error as HubRequestError,
      );
    expect(late?.hubCode).toBe('round-not-collecting');
    expect(late?.message).toContain('Round 1 of task');
    expect(await spooled(hub)).toEqual([]);
  });

  // Edits the hub's SQLite file by hand to stage the crash, so it runs on the SQLite engine only.
  it.skipIf(testEngine() === 'postgres')(
    'at start, removes .part files no upload names and uploads of rounds that closed while it was down',
    async () => {
      const { hub, ash, birch, taskId } = await collectingTask();
      const kept = await abandonUpload(ash, taskId, 1, 1); // round 1 still collecting: kept
      const other = (await createTask(hub.ctx, testTask({ quorum: 2 }), encodeWeights(testWeights(2)))).id;
      await birch.joinTask(other);
      await ash.joinTask(other);
      await waitFor(
        hub,
        async () => (await hub.ctx.store.tasks.latestRound(other))?.state === 'collecting',
        'collection',
      );
      const stale = await abandonUpload(birch, other, 1, 2);
      await hub.ctx.store.spool.writeChunk('up_crashed', 0, Buffer.alloc(CHUNK));
      await hub.close();
      // What a crash between a round's close and the sweep leaves: the round failed, its upload stayed.
      const db = new Database(join(test!.dir, 'hub.db'));
      db.prepare("UPDATE rounds SET state = 'failed', failure_reason = 'test' WHERE task_id = ?").run(other);
      db.close();

      restarted = await startHub({ dir: test!.dir, port: 0, logger: false, tickMs: 60_000 });
      expect(await spooled(restarted)).toEqual([kept]);
      expect(await restarted.ctx.store.uploads.upload(stale)).toBeUndefined();
      expect((await restarted.ctx.store.uploads.upload(kept))?.state).toBe('receiving');
    },
  );

  it("bounds an initial model by the task model's size, not the hub's 4 GiB upload limit", async () => {
    test = await makeTestHub();
    const ash = (await enrollTestSite(test.hub, 'Ash')).client;
    const definition = testTask({ quorum: 1 }); // reference-cnn with 2 labels
    const taskId = (await createTask(test.hub.ctx, definition)).id;
    await ash.joinTask(taskId);
    const declare = (bytes: number) =>
      ash.call(uploadStatusSchema, 'POST', hubPaths.uploads(taskId), {
        round: 0,
        kind: 'initial',
        bytes,
        sha256: 'cd'.repeat(32),
      });
    const refused = await declare(4 * 1024 ** 3).then(
      () => undefined,
      (error: unknown) => error as HubRequestError,
    );
    expect(refused?.hubCode).toBe('upload-too-large');
    expect(refused?.message).toContain("the task's model (reference-cnn) is at most");
    const values = modelValueCount(taskDefinitionSchema.parse(definition)) as number;
    expect(values).toBe(97_410);
    expect((await declare(values * 4 + 4096)).state).toBe('receiving');
  });

  it('answers an accepted update sent again after the round moved on with its submission, not "missed"', async () => {
    const { hub, ash, birch, taskId } = await collectingTask({ rounds: 2 });
    const { weights } = await ash.downloadModel(taskId, 0);
    const sealed = ash.seal({
      taskId,
      round: 1,
      kind: 'delta',
      weights: weights.map((t) => ({ ...t, data: t.data.map(() => 0.01) })),
      baseVersion: 0,
      examples: 10,
      compression: 'none',
    });
    const first = await ash.uploadSealed(taskId, sealed);
    await sendDelta(birch, taskId, 0.02, 10);
    await waitFor(
      hub,
      async () => (await hub.ctx.store.tasks.round(taskId, 1))?.state === 'published',
      'round 1 published',
    );
    // The site did not hear the answer (it crashed), and sends the same sealed bytes again.
    const again = await ash.uploadSealed(taskId, sealed);
    expect(again.submission).toMatchObject({ id: first.submission.id, state: 'accepted', round: 1 });
  });
});
