// The site's memory of the plan it shared its keys under, case by case (the loopback spec,
// secagg-changed-plan.spec.ts, shows two of them on a real hub): the same plan passes in every later
// phase; any changed value, place, neighbour or round key is refused; at unmasking, a survivor list
// must name only sites that shared keys with this site, never one site twice, this site among the
// survivors once its masked update is at the hub, and at least the threshold of survivors.
import { describe, expect, it } from 'vitest';
import type { ListedParticipant, SecAggPlan } from '../../../shared/federation/index.ts';
import { planValuesFor } from '../../../shared/node/secagg/index.ts';
import { planChange, sharedUnder, survivorListMismatch } from './secagg-plan-memory.ts';

const key = (i: number, kind: string) => `${kind}${String(i).padStart(4, '0')}`.padEnd(43, 'x');
const plan: SecAggPlan = {
  seed: 'A'.repeat(43),
  participants: 5,
  ...planValuesFor({ clipRange: 0.5, bits: 16 }, 5),
};
const neighbours: ListedParticipant[] = [0, 1, 2, 3, 4].map((p) => ({
  siteId: `site-${p}`,
  position: p,
  maskPublicKey: key(p, 'm'),
  sharePublicKey: key(p, 's'),
  selfMaskCommitment: 'c'.repeat(64),
  signature: null, // the signatures are secagg-key-pins.ts's to check
  signingKey: key(p, 'g'),
}));
const view = { plan, position: 0, neighbours };
const share = { selfMask: 's', maskKey: 'k' };
/** Shares held by site-0: its own and those of every neighbour but site-4 (which never shared). */
const held = Object.fromEntries(['site-0', 'site-1', 'site-2', 'site-3'].map((id) => [id, share]));
const unmasking = (survived: string[], dropped: string[], masked = true) => ({
  plan,
  survived,
  dropped,
  done: { advertised: true, shared: true, masked, revealed: false },
});

describe('the plan a site shared its keys under', () => {
  it('passes the same plan, and checks nothing before the site shared', () => {
    expect(planChange(sharedUnder(view), structuredClone(view))).toBeNull();
    expect(planChange(null, { ...view, plan: { ...plan, threshold: 2 } })).toBeNull();
  });

  it('refuses any value of the plan, its place, or a neighbour changed, added or left out', () => {
    const kept = sharedUnder(view);
    const swapped = neighbours.map((n, i) => (i === 2 ? { ...n, maskPublicKey: key(9, 'h') } : n));
    const cases: [Partial<typeof view>, RegExp][] = [
      [{ plan: { ...plan, seed: 'B'.repeat(43) } }, /ring's seed/],
      [{ plan: { ...plan, threshold: plan.threshold + 1 } }, /share threshold/],
      [{ plan: { ...plan, participants: 6, ...planValuesFor({ clipRange: 0.5, bits: 16 }, 6) } }, /count/],
      [{ position: 1 }, /place on the ring/],
      [{ neighbours: neighbours.slice(0, 4) }, /0 site\(s\) added, 1 left out/],
      [
        { neighbours: [...neighbours.slice(0, 4), { ...neighbours[4]!, siteId: 'sybil' }] },
        /1 site\(s\) added/,
      ],
      [{ neighbours: swapped }, /round keys or places of 1 neighbour/],
    ];
    for (const [change, words] of cases) {
      const mismatch = planChange(kept, { ...view, ...change });
      expect(mismatch, String(words)).toMatchObject({
        field: 'changed-plan',
        problem: expect.stringMatching(words),
      });
    }
  });
});

describe('the survivor list at unmasking', () => {
  it('passes survivors and dropouts that shared keys with this site, itself a survivor', () => {
    expect(
      survivorListMismatch(unmasking(['site-0', 'site-1', 'site-2'], ['site-3']), 'site-0', held),
    ).toBeNull();
  });

  it('refuses a site that never shared keys with it, a site named twice, itself called dropped, or too few', () => {
    const cases: [ReturnType<typeof unmasking>, string, RegExp][] = [
      [
        unmasking(['site-0', 'site-1', 'site-4'], []),
        'changed-plan',
        /1 survivor\(s\) or dropout\(s\) that never shared keys/,
      ],
      [unmasking(['site-0', 'site-1', 'site-2'], ['site-2']), 'changed-plan', /both survived and dropped/],
      [unmasking(['site-1', 'site-2', 'site-3'], ['site-0']), 'changed-plan', /does not count this site/],
      [unmasking(['site-0', 'site-1'], ['site-2', 'site-3']), 'survivors', /fewer than the 3/],
    ];
    for (const [current, field, words] of cases)
      expect(survivorListMismatch(current, 'site-0', held), String(words)).toMatchObject({
        field,
        problem: expect.stringMatching(words),
      });
  });
});
