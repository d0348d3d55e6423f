// The site's rule for the hub's plan, case by case (the loopback spec, secagg-hostile-plan.spec.ts,
// shows three of them on a real hub): the plan an honest hub makes passes for every count of sites
// and for a task's own neighbourhood and threshold; each value the task does not give, a count below
// the quorum or above the sites the task names, and each inconsistent neighbourhood are refused.
import { describe, expect, it } from 'vitest';
import {
  taskDefinitionSchema,
  type ListedParticipant,
  type SecAggPlan,
  type TaskDefinition,
} from '../../../shared/federation/index.ts';
import { neighboursOf, planValuesFor } from '../../../shared/node/secagg/index.ts';
import { testTask } from '../../../hub/testing/test-hub.ts';
import { hubPlanMismatch, hubPlanRefusal, unmaskMismatch } from './secagg-plan-check.ts';

const task = (overrides: Parameters<typeof testTask>[0] = {}): TaskDefinition =>
  taskDefinitionSchema.parse(testTask({ quorum: 3, ...overrides }));
const SEED = 'A'.repeat(43);
const key = (i: number, kind: string) => `${kind}${String(i).padStart(4, '0')}`.padEnd(43, 'x');

/** What an honest hub shows the site at `position` of n: the plan and its neighbourhood. */
function honestView(definition: TaskDefinition, n: number, position = 0) {
  const plan: SecAggPlan = {
    seed: SEED,
    participants: n,
    ...planValuesFor(definition.privacy.secureAggregation, n),
  };
  const neighbours: ListedParticipant[] = neighboursOf(position, n, plan.neighbours).map((p) => ({
    siteId: `site-${p}`,
    position: p,
    maskPublicKey: key(p, 'm'),
    sharePublicKey: key(p, 's'),
    selfMaskCommitment: 'c'.repeat(64),
    signature: null, // the signatures are secagg-key-pins.ts's to check
    signingKey: key(p, 'g'),
  }));
  return { plan, position, neighbours, survived: null as string[] | null, dropped: null as string[] | null };
}

describe("the hub's plan against the approved task", () => {
  it('passes what an honest hub plans, for 3 to 40 sites, with default and with set neighbourhoods and thresholds', () => {
    const plain = task();
    const own = task({ privacy: { secureAggregation: { neighbours: 5, threshold: 4, bits: 20 } } });
    for (let n = 3; n <= 40; n++) {
      expect(hubPlanMismatch(honestView(plain, n, n - 1), `site-${n - 1}`, plain)).toBeNull();
      if (n >= 5) expect(hubPlanMismatch(honestView(own, n, 2), 'site-2', own)).toBeNull();
    }
  });

  it('refuses every value the task does not give, naming it with both numbers', () => {
    const definition = task();
    const view = honestView(definition, 7);
    const cases: [Partial<SecAggPlan>, string, number | null][] = [
      [{ clipRange: 1e-6 }, 'clipRange', 1e-6],
      [{ statisticsClipRange: 0.5 }, 'statisticsClipRange', 0.5],
      [{ statisticsClipRange: undefined }, 'statisticsClipRange', null],
      [{ levels: 2 ** 24 }, 'levels', 2 ** 24],
      [{ threshold: 2 }, 'threshold', 2], // 2 of 7: not a majority, the hub could rebuild a site's masks
      [{ neighbours: 3 }, 'neighbours', 3], // a ring of 3 around the site, two of them the hub's
      [{ weightCap: 1 }, 'weightCap', 1],
    ];
    for (const [change, field, planned] of cases) {
      const mismatch = hubPlanMismatch({ ...view, plan: { ...view.plan, ...change } }, 'site-0', definition);
      expect(mismatch, field).toMatchObject({ field, planned });
      expect(mismatch?.problem).toContain('the approved task says');
    }
  });

  it('refuses a plan of fewer sites than the quorum, or more than the sites the task names', () => {
    const definition = task({ quorum: 4 });
    expect(hubPlanMismatch(honestView(definition, 3), 'site-0', definition)).toMatchObject({
      field: 'participants',
      planned: 3,
    });
    const named = task({ sites: ['North', 'South', 'East'] });
    expect(hubPlanMismatch(honestView(named, 3), 'site-0', named)).toBeNull();
    expect(hubPlanMismatch(honestView(named, 4), 'site-0', named)?.problem).toMatch(/allows 3 to 3/);
    // A task whose own threshold cannot work with the count: refused, not thrown.
    const strict = task({ privacy: { secureAggregation: { threshold: 9 } } });
    const view = honestView(task(), 5);
    expect(hubPlanMismatch(view, 'site-0', strict)).toMatchObject({ field: 'participants', planned: 5 });
  });

  it('refuses a neighbourhood without this site, with a site or keys twice, or off the ring', () => {
    const definition = task();
    const view = honestView(definition, 12, 0); // k = 9 of 12: a part of the ring
    const at = (change: (n: ListedParticipant[]) => ListedParticipant[], position = 0) =>
      hubPlanMismatch(
        { ...view, position, neighbours: change(view.neighbours.map((n) => ({ ...n }))) },
        'site-0',
        definition,
      );
    expect(at((n) => n)).toBeNull();
    expect(at((n) => n.filter((p) => p.siteId !== 'site-0'))?.problem).toMatch(/holds this site 0 times/);
    expect(at((n) => n, 1)?.problem).toMatch(/not at its position/);
    expect(at((n) => [...n.slice(0, -1), { ...n[1]!, position: n.at(-1)!.position }])?.problem).toMatch(
      /names 1 site\(s\) twice/,
    );
    expect(at((n) => n.slice(0, -1))?.problem).toMatch(/has 8 sites; the plan's neighbourhood size gives 9/);
    expect(at((n) => n.map((p) => (p.position === 11 ? { ...p, position: 6 } : p)))?.problem).toMatch(
      /places 1 site\(s\) where the plan's ring has none/,
    );
    expect(
      at((n) => n.map((p, i) => (i === 2 ? { ...p, maskPublicKey: n[1]!.maskPublicKey } : p)))?.problem,
    ).toMatch(/same round keys/);
    expect(at((n) => n)).toBeNull();
  });
});

describe('what a site unmasks', () => {
  const definition = task();
  const unmasking = (n: number, survived: string[], dropped: string[]) => ({
    ...honestView(definition, n),
    survived,
    dropped,
  });

  it('gives shares for a whole-round sum of at least the quorum, and refuses a smaller one', () => {
    expect(unmaskMismatch(unmasking(4, ['site-0', 'site-1', 'site-2'], ['site-3']), definition)).toBeNull();
    expect(
      unmaskMismatch(unmasking(4, ['site-0', 'site-1'], ['site-2', 'site-3']), definition),
    ).toMatchObject({
      field: 'survivors',
      planned: 2,
      expected: 3,
    });
  });

  it('never gives shares for a sum of two in a round planned for three, and does in a round of two', () => {
    const pair = task({ quorum: 2 });
    expect(unmaskMismatch(unmasking(3, ['site-0', 'site-1'], ['site-2']), pair)).toMatchObject({
      field: 'survivors',
      planned: 2,
      expected: 3,
    });
    expect(unmaskMismatch(unmasking(2, ['site-0', 'site-1'], []), pair)).toBeNull();
  });

  it('in a larger federation counts only what it sees: neighbours, and the threshold revealShares keeps', () => {
    const ids = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `site-${from + i}`);
    // 12 sites, k = 9: the site sees its neighbourhood, not the sum.
    const view = unmasking(
      12,
      ['site-0', 'site-1', 'site-11'],
      [...ids(2, 5), 'site-8', 'site-9', 'site-10'],
    );
    expect(unmaskMismatch(view, task({ quorum: 10 }))).toBeNull();
    expect(unmaskMismatch({ ...view, survived: [...view.survived, 'site-6'] }, definition)).toMatchObject({
      field: 'participant-list',
      planned: 1,
    });
  });

  it('says in plain words what the site held back, and that the coordinator should hear of it', () => {
    const mismatch = unmaskMismatch(unmasking(3, ['site-0', 'site-1'], ['site-2']), definition)!;
    const refusal = hubPlanRefusal(mismatch, { round: 4, phase: 'unmasking', maskedInputSent: true });
    expect(refusal.sentence).toBe(
      "Refused the hub's secure-aggregation plan for round 4: the hub would unmask a sum of 2 updates; the task " +
        'needs 3 in a sum. This site gave no shares to unmask this round. Its update left it only masked, and it ' +
        'revealed nothing that removes its masks. If this happens again, tell the federation coordinator: the hub ' +
        'may be misconfigured or compromised.',
    );
  });
});
