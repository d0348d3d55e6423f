// A homomorphic round at a real hub process: the round waits for the task key before it collects;
// kill -9 of the hub after two of three encrypted updates arrived, then a restart: the round goes on
// and publishes the encrypted sum of all three, which decrypts to their plain sum within the stated
// error bound and to the FedAvg step. An update under another key is refused by name.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import {
  encodeWeights,
  layoutOf,
  taskDefinitionSchema,
  type NamedTensor,
} from '../../shared/federation/index.ts';
import { enrollSite, type SiteEnrollment } from '../../shared/node/federation/index.ts';
import {
  createTaskSecretKey,
  encodingOf,
  homomorphicParameters,
  decodePublishedSum,
  SiteCipher,
  sumFromVector,
  summationErrorBound,
  updateVector,
} from '../../shared/node/homomorphic/index.ts';
import { createEnrollmentToken } from '../enrollment.ts';
import { openHubContext } from '../hub-context.ts';
import { initHub } from '../setup/index.ts';
import { createTask } from '../tasks.ts';
import { HubChild, until } from '../testing/hub-child.ts';
import { testTask, testWeights } from '../testing/test-hub.ts';
import { HomomorphicTestSite } from './testing/homomorphic-test-site.ts';

const root = mkdtempSync(join(tmpdir(), 'radfed-he-kill-'));
const dir = join(root, 'hub');
const hub = new HubChild({ dir });

afterAll(async () => {
  await hub.kill();
  rmSync(root, { recursive: true, force: true });
});

it('continues a homomorphic round after kill -9 of the hub between encrypted updates', async () => {
  await initHub({ dir });
  const { url, port } = await hub.start(0);
  const ctx = openHubContext(dir);
  const base = testWeights(5);
  const input = testTask({ rounds: 1, quorum: 2, privacy: { secureAggregation: false, homomorphic: true } });
  let taskId: string;
  const enrollments: SiteEnrollment[] = [];
  try {
    for (let i = 0; i < 3; i += 1) {
      const token = (await createEnrollmentToken(ctx, { hubUrl: url, expiresInMs: 60_000 })).token;
      enrollments.push(await enrollSite({ token, siteName: `HE kill ${i}` }));
    }
    taskId = (await createTask(ctx, input, encodeWeights(base))).id;
  } finally {
    await ctx.store.close();
  }
  const sites = enrollments.map((enrollment) => new HomomorphicTestSite(enrollment));
  const clients = sites.map((site) => site.client);
  for (const client of clients) await client.joinTask(taskId, { train: 40, validation: 10 });

  // No round collects before the key is sealed to every joined site.
  await new Promise((resolve) => setTimeout(resolve, 500));
  expect((await clients[0]!.getRound(taskId)).state).toBe('open');
  const view = await sites[0]!.keyView(taskId);
  expect(view.makerSiteId).toBe(clients[0]!.siteId);
  expect(view.waitingFor).toHaveLength(2);
  const definition = taskDefinitionSchema.parse(input);
  const parameters = homomorphicParameters(definition, view.largestCohort);
  // Only the maker may set the key.
  await expect(sites[1]!.makeKey(taskId, definition)).rejects.toThrow(/first to join/);
  await sites[0]!.makeKey(taskId, definition);
  await until(async () => (await clients[0]!.getRound(taskId)).state === 'collecting', 'collection');

  // Every site, the maker too, opens its box in the key the hub stored.
  const keys = await Promise.all(sites.map((site) => site.receiveKey(taskId)));
  const encoding = encodingOf(definition, parameters);
  const delta = (k: number): NamedTensor[] =>
    base.map((t) => ({ ...t, data: t.data.map((_, i) => ((i + k) % 7) / 20 - 0.15) }));
  const weights = [10, 20, 30];
  const vectors = weights.map((w, k) => updateVector(delta(k), w, encoding).values);

  // An update under another key (a rotated one, another task's) is refused by name.
  const stranger = await createTaskSecretKey(parameters);
  await expect(
    clients[2]!.uploadSealed(
      taskId,
      await sites[2]!.encryptedUpdate(taskId, { key: stranger, parameters }, vectors[2]!, 1, 0),
    ),
  ).rejects.toThrow(/made under another key/);

  for (const k of [0, 1]) {
    const sent = await clients[k]!.uploadSealed(
      taskId,
      await sites[k]!.encryptedUpdate(taskId, keys[k]!, vectors[k]!, 1, 0),
    );
    expect(sent.submission.state, sent.submission.reason ?? '').toBe('accepted');
  }
  await hub.kill();
  await hub.start(port);
  expect((await clients[2]!.getRound(taskId)).state).toBe('collecting');
  await clients[2]!.uploadSealed(
    taskId,
    await sites[2]!.encryptedUpdate(taskId, keys[2]!, vectors[2]!, 1, 0),
  );
  await until(async () => (await clients[0]!.getRound(taskId)).latestVersion === 1, 'the published sum');

  const after = openHubContext(dir);
  let sumBytes: Buffer;
  try {
    sumBytes = await after.store.blobs.read((await after.store.models.model(taskId, 1))!.blob_sha256);
  } finally {
    await after.store.close();
  }
  const cipher = await SiteCipher.withKey(keys[1]!.parameters, keys[1]!.key);
  try {
    const published = decodePublishedSum(sumBytes);
    expect(published.receipt.sites).toEqual(clients.map((client) => client.siteId).sort());
    const decrypted = cipher.decrypt(published.frame);
    expect(decrypted.contributions).toBe(3);
    const bound = summationErrorBound(parameters, 3);
    decrypted.values.forEach((value, i) => {
      const exact = vectors.reduce((sum, vector) => sum + vector[i]!, 0);
      expect(Math.abs(value - exact)).toBeLessThanOrEqual(bound);
    });
    // And as the sites read it: Σ wᵢΔᵢ / Σ wᵢ, the FedAvg mean.
    const mean = sumFromVector(decrypted.values, layoutOf(base), encoding, 3).mean();
    mean.forEach((tensor, t) =>
      tensor.data.forEach((value, i) => {
        const expected = weights.reduce((sum, w, k) => sum + (w * delta(k)[t]!.data[i]!) / 60, 0);
        // The sum's bound over the weight total, plus float32's rounding of the mean.
        expect(Math.abs(value - expected)).toBeLessThanOrEqual(bound / 60 + 1e-7);
      }),
    );
  } finally {
    cipher.dispose();
  }
}, 120_000);
