// Differential privacy in plain words, for the operator approving a task and for the privacy officer.
import {
  formatEpsilon,
  type PrivacyBudgetView,
  type TaskDefinition,
} from '../../../shared/federation/index.ts';
import { epsilonSpent } from '../../../shared/privacy/index.ts';
import { noiseShare } from './dp-fedavg.ts';

/** Lines for a task summary; `spent` is the hub's (or this site's) count when known. */
export function describeDifferentialPrivacy(
  definition: TaskDefinition,
  spent: PrivacyBudgetView | null | undefined,
  /** This site's training images, for the per-image guarantee of DP-SGD (null when unknown). */
  trainImages: number | null = null,
): string[] {
  const dp = definition.privacy.differentialPrivacy;
  if (!dp) {
    return ['  No differential privacy: the updates carry no noise, and no privacy budget is counted.'];
  }
  const { std, shares } = noiseShare(definition);
  const odds = Math.exp(dp.budget.epsilon);
  const lines = [
    `  Differential privacy (DP-FedAvg): before it leaves, this site\u2019s update is scaled down to a length ` +
      `(L2 norm) of at most ${dp.clipNorm} and random noise is added to every value (Gaussian, standard deviation ` +
      `${std.toPrecision(3)}${shares > 1 ? `, this site\u2019s share: ${shares} sites\u2019 shares add up to ${(dp.noiseMultiplier * dp.clipNorm).toPrecision(3)} in the sum the hub sees` : ''}). ` +
      'Every site is given the same weight, so the number of training images does not leave either.',
    `  Privacy budget: \u03b5 = ${dp.budget.epsilon}, \u03b4 = ${plainNumber(dp.budget.delta)}. Whatever anyone does with the ` +
      'published models, what they can conclude about whether this site (all of its patients) took part changes ' +
      // The factor is e^ε, said as a number a person reads ("about 2,981", not "3.0e+3").
      `by at most a factor of ${odds < 100 ? odds.toFixed(1) : `about ${Math.round(odds).toLocaleString('en')}`}, except with probability ` +
      `${plainNumber(dp.budget.delta)} (\u03b4). Smaller \u03b5 is stronger; 1 to 10 is usual for useful medical models.`,
  ];
  if (dp.dpSgd) {
    const sgd = dp.dpSgd;
    const perImage =
      trainImages && trainImages > 0
        ? (() => {
            const q = Math.min(1, definition.batchSize / trainImages);
            const steps =
              definition.rounds * definition.localEpochs * Math.ceil(trainImages / definition.batchSize);
            const e = epsilonSpent({ q, sigma: sgd.noiseMultiplier }, steps, dp.budget.delta).epsilon;
            return (
              ` With this site\u2019s ${trainImages} training images, all ${definition.rounds} rounds give each image ` +
              `\u03b5 = ${formatEpsilon(e)} (\u03b4 = ${plainNumber(dp.budget.delta)}).`
            );
          })()
        : '';
    lines.push(
      `  Inside training (DP-SGD): each batch is split into ${sgd.microbatches} part${sgd.microbatches === 1 ? '' : 's'}, ` +
        `each part\u2019s gradient is scaled down to at most ${sgd.l2NormClip} and noise (multiplier ${sgd.noiseMultiplier}) ` +
        `is added at every step: this protects each image on its own, besides the site as a whole.${perImage}`,
    );
  }
  if (spent) {
    lines.push(
      `  Spent so far: \u03b5 = ${formatEpsilon(spent.epsilonSpent)} over ${spent.rounds} round${spent.rounds === 1 ? '' : 's'}` +
        `${spent.roundsAllowed !== null ? `; the budget allows ${spent.roundsAllowed} round${spent.roundsAllowed === 1 ? '' : 's'} in all` : ''}` +
        '. When it is spent the task ends, and this site trains no further round for it.',
    );
  }
  return lines;
}

/** A small probability in decimals (0.0000001), never as JavaScript prints it below 1e-6 ("1e-7"). */
function plainNumber(value: number): string {
  if (value === 0 || Math.abs(value) >= 1e-6) return String(value);
  const digits = Math.min(20, Math.ceil(-Math.log10(Math.abs(value))) + 2);
  return value.toFixed(digits).replace(/0+$/, '');
}
