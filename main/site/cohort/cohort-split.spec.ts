// The split on its own: by patient, stratified by the rarest label, reproducible from the seed.
import { describe, expect, it } from 'vitest';
import { splitPatients, type SplitInput } from './cohort-split.ts';

// 120 patients: class 0 common, class 1 rarer, class 2 rare; some patients with two labels.
const PATIENTS: SplitInput[] = Array.from({ length: 120 }, (_, i) => ({
  patient: `RF${i.toString(16).toUpperCase().padStart(16, '0')}`,
  labels: i % 10 === 0 ? [2, 0] : i % 3 === 0 ? [1] : i % 7 === 0 ? [0, 1] : [0],
}));

const validationOf = (sides: Map<string, string>) =>
  [...sides]
    .filter(([, side]) => side === 'validation')
    .map(([p]) => p)
    .sort();

describe('splitPatients', () => {
  it('gives every patient one side', () => {
    const sides = splitPatients(PATIENTS, 0.2, 3);
    expect(sides.size).toBe(PATIENTS.length);
  });

  it('splits each stratum (the rarest label of a patient) by the fraction', () => {
    const sides = splitPatients(PATIENTS, 0.2, 3);
    const strata = new Map<number, string[]>();
    for (const p of PATIENTS) {
      const stratum = p.labels.includes(2) ? 2 : p.labels.includes(1) ? 1 : 0;
      strata.set(stratum, [...(strata.get(stratum) ?? []), p.patient]);
    }
    for (const members of strata.values()) {
      const inValidation = members.filter((m) => sides.get(m) === 'validation').length;
      expect(inValidation).toBe(Math.round(members.length * 0.2));
    }
  });

  it('does not depend on the order patients come in, only on the seed', () => {
    const a = splitPatients(PATIENTS, 0.2, 3);
    const b = splitPatients([...PATIENTS].reverse(), 0.2, 3);
    expect(validationOf(b)).toEqual(validationOf(a));
    expect(validationOf(splitPatients(PATIENTS, 0.2, 4))).not.toEqual(validationOf(a));
  });

  it('moves at most one other patient when one patient is added', () => {
    const before = splitPatients(PATIENTS, 0.2, 3);
    const after = splitPatients([...PATIENTS, { patient: 'RFFFFFFFFFFFFFFFFF', labels: [0] }], 0.2, 3);
    const moved = PATIENTS.filter((p) => before.get(p.patient) !== after.get(p.patient));
    expect(moved.length).toBeLessThanOrEqual(1);
  });

  it('puts a lone patient of a stratum in training', () => {
    const sides = splitPatients(
      [
        { patient: 'RF1', labels: [0] },
        { patient: 'RF2', labels: [0] },
        { patient: 'RF3', labels: [1] },
      ],
      0.5,
      0,
    );
    expect(sides.get('RF3')).toBe('train');
    expect([sides.get('RF1'), sides.get('RF2')].sort()).toEqual(['train', 'validation']);
  });
});
