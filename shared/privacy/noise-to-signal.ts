// Whether patient-level DP-SGD leaves anything of the signal: the rule the hub (at task creation) and
// each site (at approval, from its own cohort) apply before any training.
//
// Each step a site sums the clipped gradients of its sampled patients (each of L2 norm ≤ C) and adds
// N(0, σ²C²) to every one of the model's d trainable values; the model moves by that sum over the
// expected batch q·N. Per value the noise is σC/(q·N), but over the whole model the noise vector has
// norm about σC√d/(q·N), while the clipped signal of the average has norm ≤ C. Over T steps the summed
// signal grows like T·C (times the learning rate) and the summed noise, independent each step, like
// √T·σC√d/(q·N): at the end of training the noise over the signal is
//   ρ = σ·√d / (q·N·√T)     (N: the site's training patients, not images; T = rounds × steps per round;
//                             d: modelValueCount, which also counts a few unused norm statistics).
// At a fixed ε the accountant's σ grows about like q√T, so ρ depends mainly on √d / (N·ε): a smaller
// model, more patients or a larger ε make a task viable; more rounds at the same ε barely help.
//
// The line: refuse above ρ = 1, noise larger than the signal over the whole training. Measured
// (docs/differential-privacy.md, "Measured: ε against AUC loss"; cli/bench-dp-curve.ts): resnet-small-gn
// (d = 304 466), ε = 8, q = 0.2, 20 rounds of 5 steps (T = 100), σ = 1.557, stayed at chance (AUC ≈ 0.50)
// with 187, 91 and 35 training patients per site: ρ = 2.30, 4.72 and 12.3, all refused here. The former
// rule σ/(q·N) ≤ 0.05 accepted the 187-patient run (0.042), which gave AUC 0.505. No measured run has yet
// shown where usefulness starts: the crossing is unmeasured on the 2-core machine. For scale, Abadi et
// al. 2016's MNIST setting (σ = 4, q = 0.01, N = 60 000, d ≈ 71 000 behind the fixed PCA, T ≈ 10 000
// steps) has ρ ≈ 0.02 and lost 1 to 2 points of accuracy. The cost bands below 1 are a rule of thumb, not measured.
import { PrivacyError } from './privacy-error.ts';

/** Above this ρ = σ√d/(q·N·√T) a task is refused: over the whole training the noise outweighs the signal. */
export const NOISE_TO_SIGNAL_REFUSED = 1;

/** The expected accuracy cost, by band of ρ (upper bounds, inclusive): a rule of thumb, not measured. */
export const NOISE_TO_SIGNAL_BANDS = [
  {
    upTo: 0.1,
    cost: 'small',
    words: 'a small accuracy cost, about 0.01 to 0.02 of AUC',
  },
  {
    upTo: 0.3,
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
  /** ρ = σ·√d / (q·N·√T). */
  readonly ratio: number;
  /** Expected patients in a step's batch, q·N. */
  readonly expectedBatch: number;
  readonly cost: NoiseCost;
  /** The expected cost in words, for the approval text. */
  readonly words: string;
}

/** What of a patient-level task the rule reads besides σ, q and N. */
export interface NoiseShape {
  /** d: the model's trainable values (modelValueCount). */
  readonly modelValues: number;
  /** T: the training's total steps, rounds × steps per round. */
  readonly steps: number;
}

/** ρ = σ·√d/(q·N·√T) and what it costs, for a site with `patients` training patients. */
export function noiseToSignal(
  sigma: number,
  samplingRate: number,
  patients: number,
  shape: NoiseShape,
): NoiseToSignal {
  if (!Number.isInteger(patients) || patients < 0) {
    throw new PrivacyError(
      'bad-parameter',
      `The number of patients must be a whole number ≥ 0 (got ${patients}).`,
    );
  }
  checkShape(shape);
  const expectedBatch = samplingRate * patients;
  const ratio =
    expectedBatch > 0
      ? (sigma * Math.sqrt(shape.modelValues)) / (expectedBatch * Math.sqrt(shape.steps))
      : Infinity;
  const band = NOISE_TO_SIGNAL_BANDS.find((b) => ratio <= b.upTo);
  return band
    ? { ratio, expectedBatch, cost: band.cost, words: band.words }
    : {
        ratio,
        expectedBatch,
        cost: 'hopeless',
        words: 'no useful model: the noise outweighs the signal over the whole training',
      };
}

function checkShape(shape: NoiseShape): void {
  if (!(shape.modelValues >= 1) || !(shape.steps >= 1)) {
    throw new PrivacyError(
      'bad-parameter',
      `The model's values and the training's steps must be at least 1 (got ${shape.modelValues} and ${shape.steps}).`,
    );
  }
}

/** The fewest training patients a site needs for ρ to stay at or below the refusal line. */
export function fewestPatientsFor(sigma: number, samplingRate: number, shape: NoiseShape): number {
  checkShape(shape);
  const exact =
    (sigma * Math.sqrt(shape.modelValues)) /
    (samplingRate * Math.sqrt(shape.steps) * NOISE_TO_SIGNAL_REFUSED);
  return Math.max(1, Math.ceil(exact - 1e-9));
}

/** Why a patient-level DP task is hopeless for a site with `patients` training patients, or null. */
export function hopelessNoiseReason(
  sigma: number,
  samplingRate: number,
  patients: number,
  shape: NoiseShape,
): string | null {
  const measured = noiseToSignal(sigma, samplingRate, patients, shape);
  if (measured.cost !== 'hopeless') return null;
  const needed = fewestPatientsFor(sigma, samplingRate, shape);
  return (
    `With ${patients} training patient${patients === 1 ? '' : 's'} here, a sampling rate q = ${samplingRate} puts about ` +
    `${measured.expectedBatch.toFixed(1)} patients in each step, and over the ${shape.steps} steps of training the noise ` +
    `(σ = ${sigma}, on each of the model's ${shape.modelValues} values) is ρ = σ√d/(q·N·√T) = ${measured.ratio.toPrecision(2)} ` +
    `times the signal, above the limit of ${NOISE_TO_SIGNAL_REFUSED}: the model would learn nothing. It needs at least ` +
    `${needed} training patients at this site, a larger ε budget, or a smaller model.`
  );
}
