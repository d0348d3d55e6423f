// Training/validation split by patient, stratified by label, reproducible from a seed.
//
// - By patient: all of a patient's studies go to one side, so no patient is on both.
// - Stratified: each patient is put in the stratum of the rarest label among their studies (rarest
//   by number of patients), and each stratum is split on its own, so every label with two or more
//   patients in its stratum lands on both sides whenever the validation fraction is above zero.
// - Reproducible: patients are ordered by SHA-256(seed, pseudonym), not by a random generator, so the
//   same seed gives the same split whatever order patients are read in, and one patient added to a
//   stratum moves at most one other patient across.
import { createHash } from 'node:crypto';

export interface SplitInput {
  patient: string;
  /** Class indexes of the patient's labelled studies in the cohort. */
  labels: readonly number[];
}

export type Side = 'train' | 'validation';

/** Decides the side of each patient. */
export function splitPatients(
  patients: readonly SplitInput[],
  validationFraction: number,
  seed: number,
): Map<string, Side> {
  const patientsWithLabel = new Map<number, number>();
  for (const p of patients) {
    for (const label of new Set(p.labels))
      patientsWithLabel.set(label, (patientsWithLabel.get(label) ?? 0) + 1);
  }
  const rarest = (labels: readonly number[]): number =>
    [...new Set(labels)].sort(
      (a, b) => (patientsWithLabel.get(a) ?? 0) - (patientsWithLabel.get(b) ?? 0) || a - b,
    )[0] ?? -1;

  const strata = new Map<number, { patient: string; order: string }[]>();
  for (const p of patients) {
    const stratum = rarest(p.labels);
    const members = strata.get(stratum) ?? [];
    members.push({ patient: p.patient, order: orderKey(seed, p.patient) });
    strata.set(stratum, members);
  }

  const sides = new Map<string, Side>();
  for (const members of strata.values()) {
    members.sort((a, b) => (a.order < b.order ? -1 : a.order > b.order ? 1 : 0));
    const n = members.length;
    const k = validationCount(n, validationFraction);
    members.forEach((m, i) => sides.set(m.patient, i < k ? 'validation' : 'train'));
  }
  return sides;
}

/** Patients of a stratum of `n` that go to validation: the fraction, rounded, but never all of them. */
export function validationCount(n: number, fraction: number): number {
  if (n < 2 || fraction <= 0) return 0;
  return Math.min(n - 1, Math.max(1, Math.round(n * fraction)));
}

function orderKey(seed: number, patient: string): string {
  return createHash('sha256').update(`radfed-split:${seed}:${patient}`).digest('hex');
}
