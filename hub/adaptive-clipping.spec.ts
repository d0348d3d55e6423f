// Adaptive clipping at a real hub on a real port: sites whose update norms are known send their
// updates through the site's real DP pipeline (clipping at the C the round states, z_Δ noise, the
// noised bit sealed inside the update); the hub moves C toward the sites' median norm, keeps it
// across a restart, and, with secure aggregation, learns only the sum of the bits.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  CLIP_BIT_TENSOR,
  decodeWeights,
  encodeWeights,
  taskDefinitionSchema,
  type NamedTensor,
} from '../shared/federation/index.ts';
import {
  HubClient,
  openSealed,
  uploadContext,
  type SiteEnrollment,
} from '../shared/node/federation/index.ts';
import { CLIP_BIT_SCALE, decodeMaskedInput } from '../shared/node/secagg/index.ts';
import { sealUpdateToDisk, sendSealedUpdate } from '../main/site/federation/index.ts';
import { startHub, type RunningHub } from './server/start-hub.ts';
import { createTask } from './tasks.ts';
import { SecureTestSite } from './testing/secure-test-site.ts';
import { enrollTestSite, makeTestHub, testTask, testWeights, waitFor } from './testing/test-hub.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const clean of cleanups.splice(0)) await clean();
});

/** A delta shaped like `base` with L2 norm exactly `norm`. */
function deltaOfNorm(base: readonly NamedTensor[], norm: number): NamedTensor[] {
  const count = base.reduce((n, t) => n + t.data.length, 0);
  return base.map((t) => ({ ...t, data: new Float32Array(t.data.length).fill(norm / Math.sqrt(count)) }));
}

function plus(a: readonly NamedTensor[], b: readonly NamedTensor[]): NamedTensor[] {
  return a.map((t, i) => ({ ...t, data: t.data.map((v, j) => v + b[i]!.data[j]!) }));
}

const adaptive = { targetQuantile: 0.5, learningRate: 1, bitNoiseMultiplier: 0.15 };
const dp = {
  clipNorm: 0.2,
  noiseMultiplier: 0.25,
  budget: { epsilon: 100, delta: 1e-5 },
  adaptiveClipping: adaptive,
};

describe('adaptive clipping at the hub', () => {
  it('moves C toward the median norm round by round, and a restarted hub keeps it', async () => {
    const test = await makeTestHub();
    let hub: RunningHub = test.hub;
    cleanups.push(async () => {
      await hub.close();
      rmSync(dirname(test.dir), { recursive: true, force: true });
    });
    const root = mkdtempSync(join(tmpdir(), 'radfed-adaptive-'));
    cleanups.push(async () => rmSync(root, { recursive: true, force: true }));
    const input = testTask({
      rounds: 4,
      quorum: 4,
      privacy: { secureAggregation: false, differentialPrivacy: dp },
    });
    const definition = taskDefinitionSchema.parse(input);
    const base = testWeights(5, 0.1);
    const taskId = (await createTask(hub.ctx, input, encodeWeights(base))).id;
    const norms = [0.5, 1, 2, 4]; // median between 1 and 2
    const enrollments: SiteEnrollment[] = [];
    for (const [i] of norms.entries()) enrollments.push((await enrollTestSite(hub, `Site ${i}`)).enrollment);
    let clients = enrollments.map((e) => HubClient.fromEnrollment(e));
    for (const client of clients) await client.joinTask(taskId);

    const stated: number[] = [];
    for (let round = 1; round <= 4; round += 1) {
      if (round === 3) {
        // Restart between rounds: round 3's C was fixed when it opened, and must survive.
        const before = (await clients[0]!.getRound(taskId)).clipNorm;
        await hub.close();
        hub = await startHub({ dir: test.dir, port: 0, logger: false, tickMs: 100 });
        clients = enrollments.map((e) => new HubClient({ ...e, hubUrl: hub.url }));
        expect((await clients[0]!.getRound(taskId)).clipNorm).toBe(before);
      }
      await waitFor(
        hub,
        async () => (await clients[0]!.getRound(taskId)).state === 'collecting',
        `round ${round}`,
      );
      for (const [i, client] of clients.entries()) {
        const view = await client.getRound(taskId);
        expect(view.round).toBe(round);
        if (i === 0) stated.push(view.clipNorm!);
        const global = (await client.downloadModel(taskId, view.baseVersion!)).weights;
        const sealed = sealUpdateToDisk(client, mkdtempSync(join(root, 'r')), {
          taskId,
          round,
          baseVersion: view.baseVersion!,
          local: plus(global, deltaOfNorm(global, norms[i]!)),
          global,
          examples: 20,
          compression: 'none',
          definition,
          clipNorm: view.clipNorm,
        });
        expect((await sendSealedUpdate(client, taskId, sealed)).kind).toBe('submitted');
      }
      await waitFor(
        hub,
        async () => (await hub.ctx.store.tasks.round(taskId, round))?.state === 'published',
        `publish ${round}`,
      );
    }
    const rows = await hub.ctx.store.privacy.clipNorms(taskId);
    expect(rows.map((r) => r.round)).toEqual([1, 2, 3, 4]);
    expect(rows.map((r) => r.clip_norm)).toEqual(stated);
    expect(stated[0]).toBe(dp.clipNorm);
    for (const [t, row] of rows.entries()) {
      // b̄ is the noised fraction of sites within C (noise std 0.15/√4 = 0.075 here; 0.4 is over 5σ).
      const truth = norms.filter((n) => n <= row.clip_norm).length / norms.length;
      expect(row.bit_sites).toBe(4);
      expect(Math.abs(row.bit_mean! - truth)).toBeLessThan(0.4);
      const next = rows[t + 1];
      if (next) expect(next.clip_norm).toBeCloseTo(row.clip_norm * Math.exp(-(row.bit_mean! - 0.5)), 10);
    }
    // Every site's norm was above the first C: C grew toward the median (1 to 2), never past it.
    const median = Math.sqrt(1 * 2);
    expect(stated[3]!).toBeGreaterThan(stated[0]! * 2);
    expect(Math.abs(Math.log(stated[3]! / median))).toBeLessThan(Math.abs(Math.log(stated[0]! / median)));
    // The bit rode inside the sealed update, not in the envelope.
    const stored = (await hub.ctx.store.uploads.acceptedUpdates(taskId, 4))[0]!;
    const opened = decodeWeights(
      openSealed(
        await hub.ctx.store.blobs.read(stored.blob_sha256),
        hub.ctx.keys.exchangeKey,
        uploadContext({ taskId, round: 4, siteId: stored.site_id, kind: 'delta' }),
      ),
    );
    expect(opened.at(-1)?.name).toBe(CLIP_BIT_TENSOR);
    expect(stored.envelope).not.toContain('clip');
  }, 120_000);

  it('with secure aggregation the hub learns only the sum of the bits', async () => {
    const test = await makeTestHub();
    cleanups.push(() => test.cleanup());
    const { hub } = test;
    const base = testWeights(3);
    const task = await createTask(
      hub.ctx,
      testTask({
        rounds: 1,
        quorum: 3,
        privacy: {
          secureAggregation: { neighbours: 3, clipRange: 0.5, bits: 12, phaseSeconds: 30 },
          differentialPrivacy: dp,
        },
      }),
      encodeWeights(base),
    );
    const clients: HubClient[] = [];
    for (let i = 0; i < 3; i += 1) clients.push((await enrollTestSite(hub, `Secure ${i}`)).client);
    for (const client of clients) await client.joinTask(task.id);
    await waitFor(
      hub,
      async () => (await hub.ctx.store.tasks.latestRound(task.id))?.state === 'collecting',
      'collection',
    );
    expect((await clients[0]!.getRound(task.id)).clipNorm).toBe(dp.clipNorm);
    const sites = clients.map((client) => new SecureTestSite(client, task.id, 1));
    for (const site of sites) await site.advertise();
    await waitFor(hub, async () => (await sites[0]!.view()).phase === 'sharing', 'sharing');
    for (const site of sites) await site.share();
    await waitFor(hub, async () => (await sites[0]!.view()).phase === 'masking', 'masking');
    // Noised centred bits as the sites would send them (one within C, two not, plus noise).
    const bits = [0.5 + 0.03, -0.5 - 0.07, -0.5 + 0.05];
    for (const [i, site] of sites.entries()) await site.mask(deltaOfNorm(base, 0.1), 1, 0, bits[i]!);
    await waitFor(hub, async () => (await sites[0]!.view()).phase === 'unmasking', 'unmasking');
    for (const site of sites) await site.reveal();
    await waitFor(
      hub,
      async () => (await hub.ctx.store.models.latestModel(task.id))?.version === 1,
      'the published model',
    );

    const row = (await hub.ctx.store.privacy.clipNorm(task.id, 1))!;
    const sum = bits.reduce((a, b) => a + b, 0);
    expect(row.bit_mean).toBeCloseTo(0.5 + sum / 3, 4);
    expect(row.bit_sites).toBe(3);
    // What the hub stores of each site is masked: its last element is not the site's bit.
    for (const [i, client] of clients.entries()) {
      const stored = (await hub.ctx.store.uploads.acceptedUpdateOf(task.id, 1, client.siteId))!;
      const vector = decodeMaskedInput(
        openSealed(
          await hub.ctx.store.blobs.read(stored.blob_sha256),
          hub.ctx.keys.exchangeKey,
          uploadContext({ taskId: task.id, round: 1, siteId: client.siteId, kind: 'delta' }),
        ),
      );
      expect(vector.length).toBe(base.reduce((n, t) => n + t.data.length, 0) + 2);
      expect(vector.at(-1)).not.toBe(Math.round(bits[i]! * CLIP_BIT_SCALE) >>> 0);
      expect(Math.abs((vector.at(-1)! | 0) / CLIP_BIT_SCALE)).toBeGreaterThan(2); // far from any bit
    }
  }, 120_000);
});
