// Whether patient-level DP-SGD leaves anything of the signal: the rule the hub (at task creation) and
// each site (at approval, from its own cohort) apply before any training.
//
// Each step a site sums the clipped gradients of its sampled patients (each of L2 norm ≤ C) and adds
// N(0, σ²C²) to every value; the model moves by that sum over the expected batch q·N. So the noise on
// the averaged gradient has standard deviation σ·C / (q·N) per value, while the clipped signal of the
// average has norm ≤ C: their ratio is
//   r = σ / (q·N)            (N: the site's training patients, not images).
// This is the "noise on the average" that McMahan et al. 2018 (DP-FedAvg, "Learning differentially
// private recurrent language models") keep small, and that Sander et al. 2023 ("TAN without a burn")
// found to decide DP-SGD's accuracy at a fixed number of steps. The literature's rule of thumb, from
// the published figures: Abadi et al. 2016 (MNIST): r = 2/600 ≈ 0.003 cost ~1 point of accuracy,
// r = 4/600 ≈ 0.007 ~3 points, r = 8/600 ≈ 0.013 ~8 points; models beyond r ≈ 0.05 learn next to nothing.
// These bands are that rule, until the measured curve of this project's own model replaces it
// (docs/differential-privacy.md, "Measured: ε against AUC loss"); the lead may adjust the numbers here.
import { PrivacyError } from './privacy-error.ts';

/** Above this noise-to-signal ratio σ/(q·N) a task is refused: the noise leaves nothing of the signal. */
export const NOISE_TO_SIGNAL_REFUSED = 0.05;

/** The expected accuracy cost, by band of σ/(q·N) (upper bounds, inclusive). */
export const NOISE_TO_SIGNAL_BANDS = [
  {
    upTo: 0.005,
    cost: 'small',
    words: 'a small accuracy cost, about 0.01 to 0.02 of AUC',
  },
  {
    upTo: 0.015,
    cost: 'moderate',
    words: 'a moderate accuracy cost, up to about 0.05 of AUC',
  },
  {
    upTo: NOISE_TO_SIGNAL_REFUSED,
    cost: 'large',
    words: 'a large accuracy cost, 0.1 of AUC or more',
  },
] as const;

export type NoiseCost = (typeof NOISE_TO_SIGNAL_BANDS)[number]['cost'] | 'hopeless';

export interface NoiseToSignal {
  /** σ / (q·N). */
  readonly ratio: number;
  /** Expected patients in a step's batch, q·N. */
  readonly expectedBatch: number;
  readonly cost: NoiseCost;
  /** The expected cost in words, for the approval text. */
  readonly words: string;
}

/** The ratio σ/(q·N) and what it costs, for a site with `patients` training patients. */
export function noiseToSignal(sigma: number, samplingRate: number, patients: number): NoiseToSignal {
  if (!Number.isInteger(patients) || patients < 0) {
    throw new PrivacyError(
      'bad-parameter',
      `The number of patients must be a whole number ≥ 0 (got ${patients}).`,
    );
  }
  const expectedBatch = samplingRate * patients;
  const ratio = expectedBatch > 0 ? sigma / expectedBatch : Infinity;
  const band = NOISE_TO_SIGNAL_BANDS.find((b) => ratio <= b.upTo);
  return band
    ? { ratio, expectedBatch, cost: band.cost, words: band.words }
    : {
        ratio,
        expectedBatch,
        cost: 'hopeless',
        words: 'no useful model: the noise leaves nothing of the signal',
      };
}

/** The fewest training patients a site needs for σ/(q·N) to stay at or below the refusal line. */
export function fewestPatientsFor(sigma: number, samplingRate: number): number {
  return Math.ceil(sigma / (samplingRate * NOISE_TO_SIGNAL_REFUSED) - 1e-9);
}

/** Why a patient-level DP task is hopeless for a site with `patients` training patients, or null. */
export function hopelessNoiseReason(sigma: number, samplingRate: number, patients: number): string | null {
  const measured = noiseToSignal(sigma, samplingRate, patients);
  if (measured.cost !== 'hopeless') return null;
  const needed = fewestPatientsFor(sigma, samplingRate);
  return (
    `With ${patients} training patient${patients === 1 ? '' : 's'} here, a sampling rate q = ${samplingRate} puts about ` +
    `${measured.expectedBatch.toFixed(1)} patients in each step, and the noise (σ = ${sigma}) on their averaged gradient is ` +
    `σ/(q·N) = ${measured.ratio.toPrecision(2)} of the clipped signal, above the limit of ${NOISE_TO_SIGNAL_REFUSED}: the model ` +
    `would learn nothing. It needs at least ${needed} training patients at this site, a higher sampling rate, or less noise ` +
    '(a larger ε budget, or fewer rounds or local epochs).'
  );
}
