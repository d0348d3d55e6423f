// kill -9 of the hub mid-round, then a restart: the same round continues, every acknowledged upload is
// intact, a half-sent upload resumes from the bytes the hub had acknowledged, and a round caught
// between "aggregating" and "published" is finished after the restart.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeWeights, type NamedTensor } from '../shared/federation/index.ts';
import { enrollSite, HubClient, type SiteEnrollment } from '../shared/node/federation/index.ts';
import { createEnrollmentToken } from './enrollment.ts';
import { openHubContext } from './hub-context.ts';
import { initHub } from './setup/index.ts';
import { startHub } from './server/start-hub.ts';
import { createTask } from './tasks.ts';
import { HubChild, until } from './testing/hub-child.ts';
import { startChunkedUpload, testTask, testWeights } from './testing/test-hub.ts';

let root: string;
let dir: string;
let hub: HubChild;
const shared: { enrollments: SiteEnrollment[]; taskId: string } = { enrollments: [], taskId: '' };

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'radfed-hub-kill-'));
  dir = join(root, 'hub');
  hub = new HubChild({ dir });
  await initHub({ dir });
});
afterAll(async () => {
  await hub?.kill();
  rmSync(root, { recursive: true, force: true });
});

describe('kill -9 of the hub mid-round', () => {
  it('restarts into the same round with every acknowledged upload intact, and resumes a half-sent one', async () => {
    const first = await hub.start(0);
    const ctx = openHubContext(dir);
    const taskId = (
      await createTask(
        ctx,
        testTask({ quorum: 3, rounds: 2, roundDeadlineSeconds: 3600 }),
        encodeWeights(testWeights(4, 0.1, 1024)),
      )
    ).id;
    const enrollments = [];
    for (const name of ['Kestrel', 'Merlin', 'Hobby']) {
      const { token } = await createEnrollmentToken(ctx, { hubUrl: first.url, expiresInMs: 3_600_000 });
      enrollments.push(await enrollSite({ token, siteName: name }));
    }
    await ctx.store.close();
    shared.enrollments = enrollments;
    shared.taskId = taskId;
    const clients = enrollments.map((enrollment) => HubClient.fromEnrollment(enrollment));
    for (const client of clients) await client.joinTask(taskId);
    const view = await until(async () => {
      const v = await clients[0]!.getRound(taskId);
      return v.state === 'collecting' && v;
    }, 'collecting');
    const base = (await clients[0]!.downloadModel(taskId, 0)).weights;
    const deltas = [0.05, -0.02, 0.01].map((value) =>
      base.map((t): NamedTensor => ({ ...t, data: t.data.map(() => value) })),
    );
    const examples = [10, 20, 70];
    const seal = (i: number) =>
      clients[i]!.seal({
        taskId,
        round: view.round!,
        kind: 'delta',
        weights: deltas[i]!,
        baseVersion: 0,
        examples: examples[i]!,
        compression: 'none',
      });
    const acknowledged = [];
    for (const i of [0, 1]) acknowledged.push((await clients[i]!.uploadSealed(taskId, seal(i))).submission);
    // The third site gets two chunks acknowledged, then the hub dies.
    const third = seal(2);
    const started = await startChunkedUpload(clients[2]!, taskId, third, { chunks: 2 });
    await hub.kill();

    await hub.start(first.port);
    const after = await clients[0]!.getRound(taskId);
    expect(after).toMatchObject({ round: view.round, state: 'collecting', acceptedUpdates: 2 });
    for (const [i, submission] of acknowledged.entries()) {
      expect(await clients[i]!.getSubmission(submission.id)).toEqual(submission);
    }
    const resumed = await clients[2]!.uploadSealed(taskId, third, { chunkBytes: 1024 });
    expect(resumed.upload.uploadId).toBe(started.uploadId);
    await until(async () => (await clients[0]!.getRound(taskId)).latestVersion === 1, 'version 1');
    const published = await clients[1]!.downloadModel(taskId, 1);
    const mean = (0.05 * 10 - 0.02 * 20 + 0.01 * 70) / 100;
    published.weights.forEach((tensor, t) =>
      tensor.data.forEach((value, i) => expect(value).toBeCloseTo(base[t]!.data[i]! + mean, 6)),
    );
  });

  it('finishes a round that was aggregating when the hub died', async () => {
    await hub.kill();
    // An in-process hub that "dies" right after committing the aggregating state: the round event
    // handler throws there, and nothing retries before it is closed.
    const dying = await startHub({
      dir,
      port: 0,
      logger: false,
      tickMs: 3_600_000,
      onRoundEvent: (event) => {
        if (event.state === 'aggregating') throw new Error('simulated crash after the aggregating commit');
      },
    });
    const clients = shared.enrollments.map(
      (enrollment) => new HubClient({ ...enrollment, hubUrl: dying.url }),
    );
    const base = (await clients[0]!.downloadModel(shared.taskId, 1)).weights;
    for (const [i, value] of [0.1, 0.2, 0.3].entries()) {
      const weights = base.map((t) => ({ ...t, data: t.data.map(() => value) }));
      const sealed = clients[i]!.seal({
        taskId: shared.taskId,
        round: 2,
        kind: 'delta',
        weights,
        baseVersion: 1,
        examples: 10,
        compression: 'none',
      });
      await clients[i]!.uploadSealed(shared.taskId, sealed);
    }
    await until(
      async () => (await dying.ctx.store.tasks.round(shared.taskId, 2))?.state === 'aggregating',
      'aggregating',
    );
    expect(await dying.ctx.store.models.model(shared.taskId, 2)).toBeUndefined();
    await dying.close();

    const restarted = await hub.start(0);
    const client = new HubClient({ ...shared.enrollments[0]!, hubUrl: restarted.url });
    await until(
      async () => (await client.getRound(shared.taskId)).taskState === 'completed',
      'task completed',
    );
    const published = await client.downloadModel(shared.taskId, 2);
    published.weights.forEach((tensor, t) =>
      tensor.data.forEach((value, i) => expect(value).toBeCloseTo(base[t]!.data[i]! + 0.2, 6)),
    );
  });
});
