// The privacy budget at a real hub: rounds that count are recorded in the ledger, the task ends with
// "privacy budget reached" before a round would exceed ε, and the task view shows what was spent.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeWeights, privacySpentAfter } from '../shared/federation/index.ts';
import { type HubClient } from '../shared/node/federation/index.ts';
import { epsilonSpent } from '../shared/privacy/index.ts';
import { exportModel } from './model-export.ts';
import { PRIVACY_BUDGET_REACHED } from './privacy-budget.ts';
import { createTask, parseTaskDefinition, taskView } from './tasks.ts';
import {
  makeTestHubWithSites,
  sendDelta,
  testTask,
  testWeights,
  waitFor,
  type TestHub,
} from './testing/test-hub.ts';
import { mkdtempSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';

let test: TestHub;
let ash: HubClient;
let birch: HubClient;

// σ = 4, δ = 1e-5: one round spends ε ≈ 1.01, two ≈ 1.48, three ≈ 1.85. A budget of 1.6 fits two.
const dp = { clipNorm: 1, noiseMultiplier: 4, budget: { epsilon: 1.6, delta: 1e-5 } };

beforeAll(async () => {
  ({
    test,
    clients: [ash, birch],
  } = await makeTestHubWithSites(['Ash', 'Birch']));
});
afterAll(() => test.cleanup());

async function newTask(
  overrides: Parameters<typeof testTask>[0],
  storedRounds: number | null = null,
): Promise<string> {
  const id = (await createTask(test.hub.ctx, testTask(overrides), encodeWeights(testWeights(3)))).id;
  if (storedRounds !== null) {
    // A hub now refuses a budget that funds fewer rounds than the task asks for (hub/privacy-checks.ts);
    // a task stored before it did, or whose failed rounds count too, must still stop at its budget.
    const definition = {
      ...(JSON.parse((await ctx().store.tasks.task(id))!.definition) as object),
      rounds: storedRounds,
    };
    await ctx().store.sql.run('UPDATE tasks SET definition = @definition WHERE id = @id', {
      definition: JSON.stringify(definition),
      id,
    });
  }
  await ash.joinTask(id);
  await birch.joinTask(id);
  await test.hub.advance();
  return id;
}

const ctx = () => test.hub.ctx;

/** Both sites send a small update in each of `rounds` rounds, each published; then the task ends. */
async function runUntilTaskEnds(taskId: string, rounds: number): Promise<void> {
  for (let round = 1; round <= rounds; round += 1) {
    await sendDelta(ash, taskId, 0.01, 1);
    await sendDelta(birch, taskId, -0.01, 1);
    await waitFor(
      test.hub,
      async () => (await ctx().store.tasks.round(taskId, round))?.state === 'published',
      `round ${round}`,
    );
  }
  await waitFor(
    test.hub,
    async () => (await ctx().store.tasks.task(taskId))?.state !== 'active',
    'task ended',
  );
}

describe('privacy budget at the hub', () => {
  it('ends the task before a round would exceed the budget, and says why', async () => {
    const taskId = await newTask(
      { rounds: 2, quorum: 2, privacy: { secureAggregation: false, differentialPrivacy: dp } },
      5,
    );
    await runUntilTaskEnds(taskId, 2);
    const task = await ctx().store.tasks.task(taskId);
    expect(task?.state).toBe('completed');
    expect(task?.failure_reason).toMatch(new RegExp(`^${PRIVACY_BUDGET_REACHED}: 2 rounds spent ε = 1\\.48`));
    // Round 3 never opened: 3 of the 5 rounds were given up for the budget.
    expect((await ctx().store.tasks.rounds(taskId)).map((r) => r.number)).toEqual([1, 2]);

    const ledger = await ctx().store.privacy.ledger(taskId);
    expect(ledger.map((row) => [row.round, row.rounds_counted])).toEqual([
      [1, 1],
      [2, 2],
    ]);
    expect(ledger[1]?.epsilon).toBeCloseTo(privacySpentAfter(dp, 2).epsilon, 10);
    expect(ledger.every((row) => row.epsilon <= dp.budget.epsilon)).toBe(true);

    const view = await taskView(ctx(), task!, null);
    expect(view.privacyBudget).toMatchObject({
      rounds: 2,
      epsilonBudget: 1.6,
      delta: 1e-5,
      roundsAllowed: 2,
    });
    expect(view.privacyBudget?.epsilonSpent).toBeCloseTo(1.478, 3);
    // What the site reads from the hub carries it too.
    const seen = await ash.getTask(taskId);
    expect(seen.privacyBudget?.rounds).toBe(2);

    const out = mkdtempSync(join(tmpdir(), 'radfed-card-'));
    await exportModel(ctx(), { task: taskId, outDir: out });
    const card = JSON.parse(readFileSync(join(out, 'model-card.json'), 'utf8')) as {
      privacy: { epsilonSpent: number; statement: string; ledger: unknown[] };
    };
    expect(card.privacy.epsilonSpent).toBeCloseTo(1.478, 3);
    expect(card.privacy.ledger).toHaveLength(2);
    expect(card.privacy.statement).toMatch(/ε = 1\.48/);
  });

  it('counts a patient-level task per patient: each round is ceil(localEpochs / q) subsampled-Gaussian steps', async () => {
    // q = 0.5, σ = 1, 1 local epoch: 2 steps a round. Two rounds spend ε ≈ 7.59, three ≈ 8.98 > 8.
    const patientDp = {
      unit: 'patient' as const,
      l2NormClip: 1,
      noiseMultiplier: 1,
      samplingRate: 0.5,
      budget: { epsilon: 8, delta: 1e-5 },
    };
    const taskId = await newTask(
      {
        rounds: 2,
        localEpochs: 1,
        quorum: 2,
        privacy: { secureAggregation: false, differentialPrivacy: patientDp },
      },
      4,
    );
    await runUntilTaskEnds(taskId, 2);
    const task = (await ctx().store.tasks.task(taskId))!;
    const twoRounds = epsilonSpent({ q: 0.5, sigma: 1 }, 4, 1e-5).epsilon;
    expect(task.failure_reason).toMatch(new RegExp(`^${PRIVACY_BUDGET_REACHED}: 2 rounds spent ε = 7\\.59`));
    expect((await ctx().store.privacy.ledger(taskId)).at(-1)?.epsilon).toBeCloseTo(twoRounds, 10);
    expect((await taskView(ctx(), task, null)).privacyBudget).toMatchObject({
      unit: 'patient',
      samplingRate: 0.5,
      stepsPerRound: 2,
      rounds: 2,
      roundsAllowed: 2,
    });
    const out = mkdtempSync(join(tmpdir(), 'radfed-card-'));
    await exportModel(ctx(), { task: taskId, outDir: out });
    const card = JSON.parse(readFileSync(join(out, 'model-card.json'), 'utf8')) as {
      privacy: { statement: string };
    };
    expect(card.privacy.statement).toMatch(
      /patient-level DP-SGD\): at each of 2 training steps per round, each patient was in a site’s batch with probability 0\.5.*differential privacy at the patient level/,
    );
  });

  it('counts a failed round in which the hub saw updates (no secure aggregation)', async () => {
    const taskId = await newTask(
      {
        rounds: 2,
        quorum: 2,
        roundDeadlineSeconds: 60,
        privacy: { secureAggregation: false, differentialPrivacy: dp },
      },
      5,
    );
    await sendDelta(ash, taskId, 0.01, 1);
    test.shiftClock(61_000);
    try {
      await waitFor(
        test.hub,
        async () => (await ctx().store.tasks.round(taskId, 1))?.state === 'failed',
        'round 1 failed',
      );
    } finally {
      test.shiftClock(-61_000);
    }
    await sendDelta(ash, taskId, 0.01, 1);
    await sendDelta(birch, taskId, 0.01, 1);
    await waitFor(
      test.hub,
      async () => (await ctx().store.tasks.task(taskId))?.state === 'completed',
      'task ended',
    );
    expect((await ctx().store.tasks.rounds(taskId)).map((r) => r.state)).toEqual(['failed', 'published']);
    expect((await ctx().store.privacy.ledger(taskId)).map((row) => row.round)).toEqual([1, 2]);
  });

  it('refuses a task whose budget funds 2 of its 20 rounds, saying what to change', () => {
    expect(() =>
      parseTaskDefinition(
        testTask({
          rounds: 20,
          privacy: {
            differentialPrivacy: { clipNorm: 1, noiseMultiplier: 1, budget: { epsilon: 8, delta: 1e-5 } },
          },
        }),
      ),
    ).toThrow(
      /funds only 2 of the task's 20 rounds with noise multiplier 1: raise the noise multiplier to 2\.854 \(that funds every round\), raise ε, or plan 2 rounds/,
    );
  });

  it('refuses a task whose budget does not allow even one round', () => {
    expect(() =>
      parseTaskDefinition(
        testTask({
          privacy: {
            differentialPrivacy: { ...dp, noiseMultiplier: 0.5, budget: { epsilon: 1, delta: 1e-5 } },
          },
        }),
      ),
    ).toThrow(/one round alone spends ε = .*raise the noise multiplier or the budget/s);
  });

  it('leaves tasks without differential privacy alone', async () => {
    const taskId = await newTask({ rounds: 1, quorum: 2, privacy: { secureAggregation: false } });
    await sendDelta(ash, taskId, 0.01, 1);
    await sendDelta(birch, taskId, 0.01, 1);
    await waitFor(
      test.hub,
      async () => (await ctx().store.tasks.task(taskId))?.state === 'completed',
      'task completed',
    );
    expect((await ctx().store.tasks.task(taskId))?.failure_reason).toBeNull();
    expect(await ctx().store.privacy.ledger(taskId)).toEqual([]);
    expect((await taskView(ctx(), (await ctx().store.tasks.task(taskId))!, null)).privacyBudget).toBeNull();
  });
});
