// kill -9 of the hub in the middle of a secure round (after two of three masked inputs arrived),
// then a restart: the round continues in the same phase, with the same plan and keys, and publishes.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { encodeWeights, isRunningStatistic } from '../../shared/federation/index.ts';
import { enrollSite, HubClient } from '../../shared/node/federation/index.ts';
import { createEnrollmentToken } from '../enrollment.ts';
import { openHubContext } from '../hub-context.ts';
import { initHub } from '../setup/index.ts';
import { createTask } from '../tasks.ts';
import { SecureTestSite } from '../testing/secure-test-site.ts';
import { HubChild, until } from '../testing/hub-child.ts';
import { testTask, testWeights } from '../testing/test-hub.ts';

const root = mkdtempSync(join(tmpdir(), 'radfed-secagg-kill-'));
const dir = join(root, 'hub');
const hub = new HubChild({ dir });

afterAll(async () => {
  await hub.kill();
  rmSync(root, { recursive: true, force: true });
});

it('continues a secure round after kill -9 of the hub between masked inputs', async () => {
  await initHub({ dir });
  const { url, port } = await hub.start(0);
  const ctx = openHubContext(dir);
  const base = testWeights(5);
  let taskId: string;
  const clients: HubClient[] = [];
  try {
    for (let i = 0; i < 3; i += 1) {
      const token = (await createEnrollmentToken(ctx, { hubUrl: url, expiresInMs: 60_000 })).token;
      clients.push(HubClient.fromEnrollment(await enrollSite({ token, siteName: `Kill ${i}` })));
    }
    taskId = (
      await createTask(
        ctx,
        testTask({ rounds: 1, quorum: 2, privacy: { secureAggregation: { bits: 12 } } }),
        encodeWeights(base),
      )
    ).id;
  } finally {
    await ctx.store.close();
  }
  for (const client of clients) await client.joinTask(taskId);
  await until(async () => (await clients[0]!.getRound(taskId)).state === 'collecting', 'collection');
  const sites = clients.map((client) => new SecureTestSite(client, taskId, 1));
  for (const site of sites) await site.advertise();
  await until(async () => (await sites[0]!.view()).phase === 'sharing', 'sharing');
  for (const site of sites) await site.share();
  await until(async () => (await sites[0]!.view()).phase === 'masking', 'masking');
  const delta = (k: number) =>
    base.map((t) => ({ ...t, data: t.data.map((_, i) => ((i + k) % 7) / 20 - 0.15) }));
  await sites[0]!.mask(delta(0), 10, 0);
  await sites[1]!.mask(delta(1), 20, 0);

  await hub.kill();
  await hub.start(port);

  expect((await sites[2]!.view()).phase).toBe('masking');
  await sites[2]!.mask(delta(2), 30, 0);
  await until(async () => (await sites[0]!.view()).phase === 'unmasking', 'unmasking');
  for (const site of sites) await site.reveal();
  await until(async () => (await clients[0]!.getRound(taskId)).latestVersion === 1, 'the published model');
  const published = await clients[0]!.downloadModel(taskId, 1);
  // ±0.5 at 12 bits; batch norm's running statistics have their own range (±64 by default), so their step.
  published.weights.forEach((tensor, t) => {
    const step = (2 * (isRunningStatistic(tensor.name) ? 64 : 0.5)) / (2 ** 12 - 1);
    tensor.data.forEach((value, i) => {
      const mean = [10, 20, 30].reduce((sum, w, k) => sum + (w * delta(k)[t]!.data[i]!) / 60, 0);
      expect(Math.abs(value - base[t]!.data[i]! - mean)).toBeLessThanOrEqual(step + 1e-6);
    });
  });
}, 90_000);
