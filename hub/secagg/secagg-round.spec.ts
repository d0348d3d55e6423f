// Secure rounds at a real hub on a real port, driven step by step: sites that drop out after sharing
// keys are recovered and the published model is the survivors' weighted mean within one quantisation
// step; the hub stores only masked vectors (uniform bytes); it never holds both kinds of share of one
// site; with too many dropouts the round fails and unmasks nothing.
import { afterEach, describe, expect, it } from 'vitest';
import { decodeWeights, isRunningStatistic, type NamedTensor } from '../../shared/federation/index.ts';
import { openSealed, uploadContext } from '../../shared/node/federation/index.ts';
import { decodeMaskedInput } from '../../shared/node/secagg/index.ts';
import { loadModelWeights, findModel } from '../model-registry.ts';
import { createTask } from '../tasks.ts';
import { startSecureRound } from '../testing/secure-test-site.ts';
import { makeTestHubWithSites, testTask, testWeights, waitFor, type TestHub } from '../testing/test-hub.ts';
import { SecAggRows } from './secagg-rows.ts';

let testHub: TestHub | undefined;
afterEach(async () => {
  await testHub?.cleanup();
  testHub = undefined;
});

const CLIP = 0.5;
const BITS = 12;
/** The product's default range for batch norm's running statistics (issue 16). */
const STATISTICS_CLIP = 64;
/** Each tensor's clip range and quantisation step in these rounds. */
const clipOf = (name: string) => (isRunningStatistic(name) ? STATISTICS_CLIP : CLIP);
const stepOf = (name: string) => (2 * clipOf(name)) / (2 ** BITS - 1);

async function secureRound(siteCount: number) {
  const started = await makeTestHubWithSites(Array.from({ length: siteCount }, (_, i) => `Secure ${i}`));
  testHub = started.test;
  const { hub } = testHub;
  const base = testWeights(3);
  const definition = testTask({
    rounds: 1,
    quorum: 2,
    privacy: { secureAggregation: { neighbours: 3, clipRange: CLIP, bits: BITS, phaseSeconds: 30 } },
  });
  const { taskId, sites } = await startSecureRound(hub, started.clients, { definition, base });
  return { hub, taskId, sites, base, rows: new SecAggRows(hub.ctx.store.sql) };
}

/** Weights move by up to 0.7 (some clipped to ±0.5); running statistics by up to 20, as in a real round. */
function deltaFor(index: number, base: readonly NamedTensor[]): NamedTensor[] {
  return base.map((tensor) => ({
    ...tensor,
    data: tensor.data.map((_, i) =>
      isRunningStatistic(tensor.name)
        ? 20 * Math.sin(index * 7 + i)
        : Math.sin(index * 7 + i) * 0.3 + (i % 5 === 0 ? 0.4 : 0),
    ),
  }));
}

function chiSquare(words: Uint32Array): number {
  const bytes = new Uint8Array(words.buffer, words.byteOffset, words.byteLength);
  const counts = new Array<number>(256).fill(0);
  for (const b of bytes) counts[b] = (counts[b] as number) + 1;
  const expected = bytes.length / 256;
  return counts.reduce((sum, c) => sum + (c - expected) ** 2 / expected, 0);
}

describe('a secure round at the hub', () => {
  it('recovers a site that dropped after sharing keys, stores only masked vectors, and publishes the survivors’ mean', async () => {
    const { hub, taskId, sites, base, rows } = await secureRound(5);
    for (const site of sites) await site.share();
    await waitFor(hub, async () => (await sites[0]!.view()).phase === 'masking', 'the masking phase');
    const dropped = sites[2]!;
    const survivors = sites.filter((site) => site !== dropped);
    const examples = [30, 12, 0, 50, 7];
    for (const site of survivors) {
      const index = sites.indexOf(site);
      await site.mask(deltaFor(index, base), examples[index]!, 0);
    }
    // The dropped site never sends its masked input: the phase ends at its deadline.
    testHub!.shiftClock(31_000);
    await waitFor(hub, async () => (await survivors[0]!.view()).phase === 'unmasking', 'the unmasking phase');
    for (const site of survivors) await site.reveal();
    await waitFor(
      hub,
      async () => (await hub.ctx.store.models.latestModel(taskId))?.version === 1,
      'the published model',
    );

    // What the hub stores for a site is uniform noise to it, even after opening the sealed upload.
    const stored = (await hub.ctx.store.uploads.acceptedUpdateOf(taskId, 1, survivors[0]!.client.siteId))!;
    const opened = openSealed(
      await hub.ctx.store.blobs.read(stored.blob_sha256),
      hub.ctx.keys.exchangeKey,
      uploadContext({ taskId, round: 1, siteId: stored.site_id, kind: 'delta' }),
    );
    expect(() => decodeWeights(opened)).toThrow();
    const masked = decodeMaskedInput(opened);
    expect(masked.length).toBe(base.reduce((n, t) => n + t.data.length, 0) + 1);
    expect(stored.examples).toBe(1); // the real count travels masked
    // Few values (a tiny test model): a looser bound than the 0.001 critical value of 330.5.
    expect(chiSquare(masked)).toBeLessThan(400);

    // The hub never holds both kinds of share of one site, and the database refuses it outright.
    const revealed = await rows.revealed(taskId, 1);
    for (const owner of new Set(revealed.map((r) => r.owner_site))) {
      expect(new Set(revealed.filter((r) => r.owner_site === owner).map((r) => r.kind)).size).toBe(1);
    }
    expect(revealed.filter((r) => r.kind === 'mask-key').map((r) => r.owner_site)).toEqual(
      expect.arrayContaining([dropped.client.siteId]),
    );
    const someSurvivor = revealed.find((r) => r.kind === 'self-mask')!;
    await expect(
      rows.insertRevealed(taskId, 1, dropped.client.siteId, someSurvivor.owner_site, 'mask-key', 'x'),
    ).rejects.toThrow(/both kinds of share/);

    // The published model is base + Σ w·clip(Δ) / Σ w over the survivors, within one quantisation step,
    // each tensor clipped to its own range: the running statistics' moves of up to 20 arrive whole.
    const published = await loadModelWeights(hub.ctx, await findModel(hub.ctx, taskId, 1));
    const weights = survivors.map((site) => site.weight);
    const total = weights.reduce((a, b) => a + b, 0);
    expect(weights).toEqual([30, 12, 50, 7]);
    published.forEach((tensor, t) => {
      const clip = clipOf(tensor.name);
      let worst = 0;
      tensor.data.forEach((value, i) => {
        const mean = survivors.reduce((sum, site, s) => {
          const x = deltaFor(sites.indexOf(site), base)[t]!.data[i]!;
          return sum + (weights[s]! * Math.max(-clip, Math.min(clip, x))) / total;
        }, 0);
        worst = Math.max(worst, Math.abs(value - base[t]!.data[i]! - mean));
      });
      // float32 model: a value near 20 carries ~2e-6 of rounding besides the step.
      expect(worst, tensor.name).toBeLessThanOrEqual(stepOf(tensor.name) + 1e-5);
    });
  });

  it('fails cleanly when too many sites drop out: nothing is unmasked, no model is published', async () => {
    // Seven sites, so that the four survivors are a sum the hub may unmask (three or more).
    const { hub, taskId, sites, base, rows } = await secureRound(7);
    for (const site of sites) await site.share();
    await waitFor(hub, async () => (await sites[0]!.view()).phase === 'masking', 'the masking phase');
    const positions = await Promise.all(sites.map(async (site) => (await site.view()).position));
    // Positions 0, 1 and 2 drop out: position 1's neighbours (0 and 2) are gone with it, so no one
    // holds enough shares of its mask key.
    const survivors = sites.filter((_, i) => (positions[i] as number) >= 3);
    expect(survivors).toHaveLength(4);
    for (const site of survivors) await site.mask(deltaFor(1, base), 10, 0);
    testHub!.shiftClock(31_000);
    await waitFor(hub, async () => (await survivors[0]!.view()).phase === 'unmasking', 'the unmasking phase');
    for (const site of survivors) await site.reveal();
    testHub!.shiftClock(31_000);
    await waitFor(
      hub,
      async () => (await hub.ctx.store.tasks.round(taskId, 1))?.state === 'failed',
      'the failed round',
    );
    expect((await hub.ctx.store.tasks.round(taskId, 1))?.failure_reason).toMatch(
      /Too many sites dropped out.*nothing was unmasked/,
    );
    expect((await hub.ctx.store.models.latestModel(taskId))?.version).toBe(0);
    expect(
      (await rows.revealed(taskId, 1)).every((r) => r.kind === 'self-mask' || r.kind === 'mask-key'),
    ).toBe(true);
  });

  it('sums no two updates in a round planned for three: the round fails, nothing is unmasked', async () => {
    const { hub, taskId, sites, base, rows } = await secureRound(3);
    for (const site of sites) await site.share();
    await waitFor(hub, async () => (await sites[0]!.view()).phase === 'masking', 'the masking phase');
    // The third site never masks: a sum of the other two would give each of them the other's update.
    for (const site of sites.slice(0, 2)) await site.mask(deltaFor(1, base), 10, 0);
    testHub!.shiftClock(31_000);
    await waitFor(
      hub,
      async () => (await hub.ctx.store.tasks.round(taskId, 1))?.state === 'failed',
      'the failed round',
    );
    expect((await hub.ctx.store.tasks.round(taskId, 1))?.failure_reason).toBe(
      'Only 2 of the 3 masked updates needed arrived before the deadline. This round was planned for 3 sites, ' +
        "and in a sum of two updates each of the two sites could work out the other's, so nothing was summed.",
    );
    expect(await rows.revealed(taskId, 1)).toEqual([]);
    expect((await hub.ctx.store.models.latestModel(taskId))?.version).toBe(0);
  });

  it('refuses a plain update in a secure task, and cyclic with secure aggregation', async () => {
    const { hub, taskId, sites } = await secureRound(3);
    await expect(
      sites[0]!.client.call((await import('zod')).z.unknown(), 'POST', `/v1/tasks/${taskId}/uploads`, {
        round: 1,
        kind: 'delta',
        bytes: 100,
        sha256: 'a'.repeat(64),
      }),
    ).rejects.toThrow(/masked inputs only in its masking phase/);
    await expect(
      createTask(
        hub.ctx,
        testTask({ strategy: { name: 'cyclic' }, quorum: 2, privacy: { secureAggregation: true } }),
      ),
    ).rejects.toThrow(/cyclic strategy needs each site's own update/);
  });
});
