// Secure rounds at a real hub whose unmasked sum is outside what honest sites could send together:
// an update above the task's norm bound, a masked integer outside the quantisation range, an example
// count above the site's declaration. Each fails the round with the reason; nothing is published.
// Before these checks each was published.
import { afterEach, describe, expect, it } from 'vitest';
import type { NamedTensor } from '../../shared/federation/index.ts';
import { startSecureRound, type SecureTestSite } from '../testing/secure-test-site.ts';
import { makeTestHubWithSites, testTask, testWeights, waitFor, type TestHub } from '../testing/test-hub.ts';

let testHub: TestHub | undefined;
afterEach(async () => {
  await testHub?.cleanup();
  testHub = undefined;
});

const fill = (base: readonly NamedTensor[], value: number): NamedTensor[] =>
  base.map((tensor) => ({ ...tensor, data: tensor.data.map(() => value) }));

/** Three sites through a whole secure round; the first sends `hostile`, the others 0.001 per value. */
async function secureRound(
  overrides: Parameters<typeof testTask>[0],
  hostile: { value: number; examples: number; tamper?: (vector: Uint32Array) => void; clipBit?: number },
) {
  const started = await makeTestHubWithSites(['Mallory', 'Ash', 'Birch']);
  testHub = started.test;
  const { hub } = testHub;
  const base = testWeights(3);
  const definition = testTask({
    rounds: 1,
    quorum: 2,
    privacy: { secureAggregation: { neighbours: 3, clipRange: 0.5, bits: 12, phaseSeconds: 30 } },
    ...overrides,
  });
  const cohort = { train: 20, validation: 5 };
  const { taskId, sites } = await startSecureRound(hub, started.clients, { definition, base, cohort });
  for (const site of sites) await site.share();
  await waitFor(hub, async () => (await sites[0]!.view()).phase === 'masking', 'the masking phase');
  const [mallory, ...honest] = sites as [SecureTestSite, ...SecureTestSite[]];
  await mallory.mask(fill(base, hostile.value), hostile.examples, 0, hostile.clipBit, hostile.tamper);
  const honestBit = hostile.clipBit === undefined ? undefined : 0.5;
  for (const site of honest) await site.mask(fill(base, 0.001), 20, 0, honestBit);
  await waitFor(hub, async () => (await sites[0]!.view()).phase === 'unmasking', 'the unmasking phase');
  for (const site of sites) await site.reveal();
  const round = await waitFor(
    hub,
    async () => {
      const row = await hub.ctx.store.tasks.round(taskId, 1);
      return (row?.state === 'failed' || row?.state === 'published') && row;
    },
    'the round to end',
  );
  return { round, latest: (await hub.ctx.store.models.latestModel(taskId))?.version };
}

describe('the unmasked sum of a secure round is checked against n honest updates', () => {
  it('fails the round when one update is above the task norm bound', async () => {
    // 66 values of 0.4: norm 3.2, above maxUpdateNorm 0.5 (and within the ±0.5 clip range per value).
    const { round, latest } = await secureRound({ maxUpdateNorm: 0.5 }, { value: 0.4, examples: 20 });
    expect(round.state).toBe('failed');
    expect(round.failure_reason).toMatch(
      /^Aggregation failed: The unmasked sum's L2 norm over its trained values \(.*\) is above what 3 updates within the task's bound can add up to/,
    );
    expect(latest).toBe(0);
  });

  it('fails the round when a site masks an integer outside the quantisation range', async () => {
    const { round, latest } = await secureRound(
      {},
      { value: 0.001, examples: 20, tamper: (vector) => (vector[0] = (vector[0]! + 2 ** 31) >>> 0) },
    );
    expect(round.state).toBe('failed');
    expect(round.failure_reason).toMatch(/A value of the unmasked sum lies outside/);
    expect(latest).toBe(0);
  });

  it('fails the round when the masked example counts exceed what the sites declared', async () => {
    const { round, latest } = await secureRound({}, { value: 0.001, examples: 5000 });
    expect(round.state).toBe('failed');
    expect(round.failure_reason).toMatch(
      /masked example counts add up to 5040, more than the 60 they declared/,
    );
    expect(latest).toBe(0);
  });

  it('fails the round when the clipping bits add up to more than noised bits can (adaptive clipping)', async () => {
    const dp = {
      clipNorm: 1,
      noiseMultiplier: 1,
      budget: { epsilon: 100, delta: 1e-5 },
      adaptiveClipping: { bitNoiseMultiplier: 1 },
    };
    const secure = { neighbours: 3, clipRange: 0.5, bits: 12, phaseSeconds: 30 };
    const { round, latest } = await secureRound(
      { privacy: { secureAggregation: secure, differentialPrivacy: dp } },
      { value: 0.001, examples: 1, clipBit: -5000 },
    );
    expect(round.state).toBe('failed');
    expect(round.failure_reason).toMatch(/clipping bits add up to -4999, outside what 3 noised bits can/);
    expect(latest).toBe(0);
  });

  it('publishes a round whose running statistics moved by 20, within their own range (issue 16)', async () => {
    // Weights are clipped to ±0.5; batch norm's moving mean and variance to ±64 (the default), so the
    // value check must hold each tensor to its own range: at ±0.5·Σw this honest sum would fail.
    const { round, latest } = await secureRound({}, { value: 20, examples: 20 });
    expect(round.failure_reason).toBeNull();
    expect(round.state).toBe('published');
    expect(latest).toBe(1);
  });

  it('publishes a round whose sum is within the bounds', async () => {
    const { round, latest } = await secureRound({}, { value: 0.002, examples: 20 });
    expect(round.state).toBe('published');
    expect(latest).toBe(1);
  });
});
