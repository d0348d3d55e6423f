// DP-FedAvg at the site: the clipping bound, noise of the right size from the cryptographic source,
// the pipeline's uniform weights, the site's own budget count, and the noised update arriving at a
// real hub through the real sealing path.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTask } from '../../../hub/index.ts';
import {
  enrollTestSite,
  makeTestHub,
  testTask,
  testWeights,
  waitFor,
  type TestHub,
} from '../../../hub/testing/test-hub.ts';
import {
  encodeWeights,
  float16ArrayToFloat32,
  float32ArrayToFloat16,
  taskDefinitionSchema,
  type NamedTensor,
  type TaskDefinition,
  type TaskDefinitionInput,
} from '../../../shared/federation/index.ts';
import { clipToNorm, l2Norm } from './dp-clip.ts';
import { applyDpFedAvg, noiseShare } from './dp-fedavg.ts';
import { cryptoGaussian } from '../../../shared/node/privacy/index.ts';
import { assertBudgetAllowsAnotherUpdate, siteBudgetView } from './dp-site-budget.ts';
import { prepareUpdateForUpload } from './update-pipeline.ts';
import { sealUpdateToDisk, sendSealedUpdate } from './update-upload.ts';

const dp = { clipNorm: 2, noiseMultiplier: 1.5, budget: { epsilon: 8, delta: 1e-5 } };

function definition(overrides: Partial<TaskDefinitionInput> = {}): TaskDefinition {
  return taskDefinitionSchema.parse(
    testTask({ privacy: { secureAggregation: false, differentialPrivacy: dp }, ...overrides }),
  );
}

function tensors(values: number[][]): NamedTensor[] {
  return values.map((data, i) => ({ name: `t${i}`, shape: [data.length], data: Float32Array.from(data) }));
}

function stats(values: ArrayLike<number>) {
  let sum = 0;
  for (let i = 0; i < values.length; i += 1) sum += values[i] as number;
  const mean = sum / values.length;
  let squares = 0;
  let withinOne = 0;
  for (let i = 0; i < values.length; i += 1) squares += ((values[i] as number) - mean) ** 2;
  const std = Math.sqrt(squares / (values.length - 1));
  for (let i = 0; i < values.length; i += 1)
    if (Math.abs((values[i] as number) - mean) <= std) withinOne += 1;
  return { mean, std, withinOne: withinOne / values.length };
}

describe('clipping', () => {
  it('scales an update down to L2 norm ≤ C over all tensors together, never up', () => {
    const big = tensors([
      [3, 4],
      [12, 0, 0],
    ]); // norm 13
    const clipped = clipToNorm(big, 2);
    expect(clipped.norm).toBeCloseTo(13, 5);
    expect(l2Norm(clipped.weights)).toBeLessThanOrEqual(2);
    expect(l2Norm(clipped.weights)).toBeGreaterThan(1.999);
    // Direction kept.
    expect(clipped.weights[0]!.data[1]! / clipped.weights[0]!.data[0]!).toBeCloseTo(4 / 3, 5);
    const small = tensors([[0.3, -0.4]]);
    const kept = clipToNorm(small, 2);
    expect(kept.scale).toBe(1);
    expect([...kept.weights[0]!.data]).toEqual([...small[0]!.data]);
    for (let seed = 1; seed < 20; seed += 1) {
      const random = testWeights(seed, seed);
      expect(l2Norm(clipToNorm(random, 0.5).weights)).toBeLessThanOrEqual(0.5);
    }
  });
});

describe('noise', () => {
  it('draws from crypto.randomBytes, not Math.random, and never repeats', () => {
    const spy = vi.spyOn(Math, 'random');
    const a = cryptoGaussian(1001);
    const b = cryptoGaussian(1001);
    expect(spy).not.toHaveBeenCalled();
    spy.mockRestore();
    expect(a).toHaveLength(1001);
    expect(a.some((value, i) => value !== b[i])).toBe(true);
    expect(a.every(Number.isFinite)).toBe(true);
  });

  it('adds N(0, (zC)²) per value without secure aggregation (each update is seen alone)', () => {
    const n = 200_000;
    const zero = [{ name: 'w', shape: [n], data: new Float32Array(n) }];
    const { weights, report } = applyDpFedAvg(zero, definition());
    const s = stats(weights[0]!.data);
    const expected = dp.noiseMultiplier * dp.clipNorm;
    expect(report).toMatchObject({ noiseStd: expected, noiseShares: 1, clipped: false });
    // The sample std of 200 000 normals is within 0.5% of σ with overwhelming probability (SE ≈ 0.16%).
    expect(Math.abs(s.std / expected - 1)).toBeLessThan(0.01);
    expect(Math.abs(s.mean)).toBeLessThan((5 * expected) / Math.sqrt(n));
    // Gaussian shape: about 68.27% within one standard deviation.
    expect(Math.abs(s.withinOne - 0.6827)).toBeLessThan(0.005);
  });

  it('splits the noise over the quorum with secure aggregation, so the sum carries the full amount', () => {
    const d = definition({ quorum: 4, privacy: { secureAggregation: true, differentialPrivacy: dp } });
    expect(noiseShare(d)).toEqual({ std: (dp.noiseMultiplier * dp.clipNorm) / 2, shares: 4 });
    const n = 50_000;
    const zero = [{ name: 'w', shape: [n], data: new Float32Array(n) }];
    const sum = new Float64Array(n);
    for (let site = 0; site < 4; site += 1) {
      const noised = applyDpFedAvg(zero, d).weights[0]!.data;
      for (let i = 0; i < n; i += 1) sum[i]! += noised[i]!;
    }
    expect(Math.abs(stats(sum).std / (dp.noiseMultiplier * dp.clipNorm) - 1)).toBeLessThan(0.02);
  });

  it('clips before adding noise: with the noise source held at zero, a huge update comes out at norm C', () => {
    const n = 10_000;
    const huge = [{ name: 'w', shape: [n], data: new Float32Array(n).fill(50) }];
    const silent = (count: number) => new Float64Array(count);
    const { weights, report } = applyDpFedAvg(huge, definition(), silent);
    expect(report?.clipped).toBe(true);
    expect(report?.norm).toBeCloseTo(50 * Math.sqrt(n), 0);
    expect(l2Norm(weights)).toBeLessThanOrEqual(dp.clipNorm);
    expect(l2Norm(weights)).toBeGreaterThan(dp.clipNorm * 0.999);
    // And the noise is added on top of the clipped values at the stated scale.
    const ones = (count: number) => new Float64Array(count).fill(1);
    const shifted = applyDpFedAvg(huge, definition(), ones).weights[0]!.data;
    expect(shifted[0]! - weights[0]!.data[0]!).toBeCloseTo(dp.noiseMultiplier * dp.clipNorm, 5);
  });
});

describe('update pipeline and the site budget', () => {
  it('sends a weight of 1 with differential privacy and the true count without', () => {
    const delta = tensors([[0.1, 0.2]]);
    expect(prepareUpdateForUpload({ delta, examples: 37 }, definition()).examples).toBe(1);
    const plain = prepareUpdateForUpload(
      { delta, examples: 37 },
      definition({ privacy: { secureAggregation: false } }),
    );
    expect(plain).toMatchObject({ examples: 37, privacy: null });
    expect([...plain.delta[0]!.data]).toEqual([...delta[0]!.data]);
  });

  it('without differential privacy, scales an update above the task bound to just under it, float16 included', () => {
    // The hub fails a secure round whose sum exceeds n bounds: an honest site must never send more.
    const bounded = definition({ privacy: { secureAggregation: true }, maxUpdateNorm: 5 });
    const big = tensors([[30, -40, 0.001]]);
    const prepared = prepareUpdateForUpload({ delta: big, examples: 37 }, bounded);
    expect(prepared).toMatchObject({ examples: 37, privacy: null, clippedToBound: true });
    expect(l2Norm(prepared.delta)).toBeLessThanOrEqual(5);
    const asSent = prepared.delta.map((tensor) => ({
      ...tensor,
      data: float16ArrayToFloat32(float32ArrayToFloat16(Float32Array.from(tensor.data))),
    }));
    expect(l2Norm(asSent)).toBeLessThanOrEqual(5);
    const small = prepareUpdateForUpload({ delta: tensors([[0.3, 0.4]]), examples: 2 }, bounded);
    expect(small.clippedToBound).toBe(false);
    expect([...small.delta[0]!.data]).toEqual([...Float32Array.from([0.3, 0.4])]);
  });

  it('refuses to train past the budget, counting the updates it sent', () => {
    // σ = 4, δ = 1e-5: two rounds spend ε ≈ 1.48, three ≈ 1.85.
    const d = definition({
      privacy: {
        secureAggregation: false,
        differentialPrivacy: { ...dp, noiseMultiplier: 4, budget: { epsilon: 1.6, delta: 1e-5 } },
      },
    });
    const record = (outcome: 'submitted' | 'missed') => ({
      round: 1,
      outcome,
      reason: null,
      trainSeconds: 1,
      uploadSeconds: 1,
      sentBytes: 1,
      examples: 1,
    });
    const history = [record('submitted'), record('missed')];
    expect(() => assertBudgetAllowsAnotherUpdate(d, { history })).not.toThrow();
    history.push(record('submitted'));
    expect(() => assertBudgetAllowsAnotherUpdate(d, { history })).toThrow(
      /spent its privacy budget.*2 updates sent spent ε = 1\.48 of ε = 1\.6/,
    );
    expect(siteBudgetView(d, { history })).toMatchObject({ rounds: 2, roundsAllowed: 2 });
    expect(siteBudgetView(definition({ privacy: { secureAggregation: false } }), { history })).toBeNull();
  });
});

describe('DP-FedAvg through a real hub', () => {
  let test: TestHub;
  let root: string;
  beforeAll(async () => {
    test = await makeTestHub();
    root = mkdtempSync(join(tmpdir(), 'radfed-dp-'));
  });
  afterAll(async () => {
    await test.cleanup();
    rmSync(root, { recursive: true, force: true });
  });

  it('the published model moves by the mean of the sites’ noise; the hub is told a weight of 1', async () => {
    const input = testTask({
      rounds: 1,
      quorum: 2,
      privacy: { secureAggregation: false, differentialPrivacy: dp },
    });
    const base = testWeights(2, 0.1, 4000); // about 16 000 values
    const taskId = (await createTask(test.hub.ctx, input, encodeWeights(base))).id;
    const sites = [
      (await enrollTestSite(test.hub, 'Oak')).client,
      (await enrollTestSite(test.hub, 'Elm')).client,
    ];
    for (const client of sites) await client.joinTask(taskId);
    await test.hub.advance();
    const d = taskDefinitionSchema.parse(input);
    for (const [i, client] of sites.entries()) {
      const view = await client.getRound(taskId);
      // The site trained nothing: its delta is zero, so what reaches the model is the noise alone.
      const dir = join(root, `site-${i}`);
      mkdirSync(dir);
      const sealed = sealUpdateToDisk(client, dir, {
        taskId,
        round: view.round!,
        baseVersion: view.baseVersion!,
        local: base,
        global: base,
        examples: 250,
        compression: 'none',
        definition: d,
      });
      expect(sealed.examples).toBe(1);
      expect((await sendSealedUpdate(client, taskId, sealed)).kind).toBe('submitted');
    }
    await waitFor(
      test.hub,
      async () => (await test.hub.ctx.store.tasks.round(taskId, 1))?.state === 'published',
      'round 1',
    );
    const submissions = await test.hub.ctx.store.uploads.acceptedUpdates(taskId, 1);
    expect(submissions.map((s) => s.examples)).toEqual([1, 1]);
    const published = await sites[0]!.downloadModel(taskId, 'latest');
    const moved: number[] = [];
    published.weights.forEach((tensor, t) =>
      tensor.data.forEach((value, i) => moved.push(value - base[t]!.data[i]!)),
    );
    // The mean of two independent N(0, (zC)²) draws has std zC/√2.
    const expected = (dp.noiseMultiplier * dp.clipNorm) / Math.SQRT2;
    expect(Math.abs(stats(moved).std / expected - 1)).toBeLessThan(0.04);
  });
});
