// The one rule for a swarm leader's plan, value by value: what an honest leader plans from the task
// matches for every count of members; every other value of each field is refused by name, a threshold
// below a majority of the neighbourhood included (the loopback spec covers 1; here 2 of 5, which the
// plan's schema alone accepts).
import { describe, expect, it } from 'vitest';
import type { SecAggPlan } from '../../../shared/federation/index.ts';
import {
  participantListMismatch,
  planMismatch,
  survivorsMismatch,
  taskPlanValues,
} from './round-plan-check.ts';
import type { PlanTask } from './round-plan-check.ts';

const task: PlanTask = { secureAggregation: { clipRange: 0.5, bits: 16 } };
const honest = (n: number, on: PlanTask = task): Omit<SecAggPlan, 'seed'> => ({
  participants: n,
  ...taskPlanValues(on, n),
});

describe("a swarm leader's plan against the approved task", () => {
  it("accepts the plan an honest leader makes, for 2 to 40 members, with the task's statistics range or the default", () => {
    for (let n = 2; n <= 40; n++) expect(planMismatch(honest(n), task, n)).toBeNull();
    const own = { secureAggregation: { clipRange: 0.5, statisticsClipRange: 32, bits: 20 } };
    expect(honest(3, own).statisticsClipRange).toBe(32);
    expect(planMismatch(honest(3, own), own, 3)).toBeNull();
    // The default is the hub tasks' ±64: a plan without it would clip statistics to ±0.5.
    expect(honest(3).statisticsClipRange).toBe(64);
  });

  it('refuses each field that differs, naming it with both numbers', () => {
    const cases: [Partial<SecAggPlan>, string, number | null, number | null][] = [
      [{ clipRange: 0.001 }, 'clipRange', 0.001, 0.5],
      [{ statisticsClipRange: 0.5 }, 'statisticsClipRange', 0.5, 64],
      [{ levels: 2 ** 24 }, 'levels', 2 ** 24, 2 ** 16],
      [{ neighbours: 4 }, 'neighbours', 4, 5],
      [{ threshold: 2 }, 'threshold', 2, 3], // 2 of 5 neighbours: not a majority
      [{ threshold: 5 }, 'threshold', 5, 3],
      [{ weightCap: 1 }, 'weightCap', 1, honest(5).weightCap],
    ];
    for (const [change, field, planned, expected] of cases) {
      const mismatch = planMismatch({ ...honest(5), ...change }, task, 5);
      expect(mismatch).toMatchObject({ field, planned, expected });
      expect(mismatch?.problem).toContain('approved task says');
    }
    const { statisticsClipRange: _, ...without } = honest(5);
    expect(planMismatch(without, task, 5)).toMatchObject({ field: 'statisticsClipRange', planned: null });
  });

  it("refuses more participants than the round's order from this leader on, and fewer than DP's minimum", () => {
    expect(planMismatch(honest(4), task, 3)).toMatchObject({ field: 'participants', planned: 4 });
    const dp: PlanTask = {
      ...task,
      differentialPrivacy: {
        clipNorm: 1,
        noiseMultiplier: 1,
        budget: { epsilon: 8, delta: 1e-5 },
        minimumParticipants: 3,
      },
    };
    expect(planMismatch(honest(2, dp), dp, 3)?.problem).toMatch(/the task needs 3 updates in a sum/);
    expect(planMismatch(honest(3, dp), dp, 3)).toBeNull();
    expect(survivorsMismatch(2, dp, 3)).toMatchObject({ field: 'survivors', planned: 2, expected: 3 });
    expect(survivorsMismatch(3, dp, 3)).toBeNull();
    expect(survivorsMismatch(2, task, 2)).toBeNull();
    // A round planned for 3 or more never unmasks a sum of 2: each of the two would read the other's.
    expect(survivorsMismatch(2, task, 3)).toMatchObject({ field: 'survivors', planned: 2, expected: 3 });
    expect(survivorsMismatch(2, task, 5)).toMatchObject({ field: 'survivors', planned: 2, expected: 3 });
    expect(survivorsMismatch(3, task, 5)).toBeNull();
    // A task's own minimum for a secure sum, with no DP: a plan and an unmask of fewer are refused.
    const three: PlanTask = { secureAggregation: { clipRange: 0.5, bits: 16, minimumParticipants: 3 } };
    expect(planMismatch(honest(2, three), three, 3)).toMatchObject({ field: 'participants', planned: 2 });
    expect(planMismatch(honest(3, three), three, 3)).toBeNull();
    expect(survivorsMismatch(2, three, 3)).toMatchObject({ field: 'survivors', planned: 2, expected: 3 });
    expect(survivorsMismatch(1, task, 2)).toMatchObject({ field: 'survivors', expected: 2 });
  });

  it("refuses a participant the round's seed does not hold from this leader on, then keys its member did not sign", () => {
    const list = (ids: string[], unsigned: string[] = []) =>
      ids.map((siteId) => ({ siteId, keysSigned: !unsigned.includes(siteId) }));
    expect(participantListMismatch(list(['a', 'b']), ['a', 'b', 'c'])).toBeNull();
    expect(participantListMismatch(list(['a', 'x', 'y'], ['x']), ['a', 'b', 'c'])).toMatchObject({
      field: 'participant-list',
      planned: 2,
    });
    expect(participantListMismatch(list(['a', 'b', 'c'], ['c']), ['a', 'b', 'c'])).toMatchObject({
      field: 'participant-keys',
      planned: 1,
      expected: 0,
    });
  });
});
