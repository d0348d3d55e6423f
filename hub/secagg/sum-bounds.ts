// With secure aggregation the hub never sees one site's update, so it cannot bound each one as it does
// plain updates (hub/update-bounds-check.ts). It checks the unmasked sum instead, against what n honest
// sites could have sent together:
//   - every value of Σ w·x̂ within ±c·Σw, c the tensor's clip range (statisticsClipRange for batch
//     norm's running statistics; each site's levels are in [0, Q−1]; a site that masks integers
//     outside that range, to wrap the 32-bit sum, shows here);
//   - ‖Σ w·x̂‖ ≤ Σw·(B + √(Σ δ_i²)) over the trained values (not the running statistics, bounded by
//     value above): each update's norm within the task's bound B, plus the quantisation step δ_i of
//     each value that stochastic rounding may add;
//   - Σw within the survivors' declared cohorts (and the task's cap per site);
//   - with adaptive clipping, the sum of the noised bits within n/2 plus ten standard deviations.
// A sum outside these fails the round: nothing is published. What a site can still do inside them is
// in docs/secure-aggregation.md.
import {
  clipBitBounds,
  examplesBound,
  isRunningStatistic,
  updateNormBound,
  type SecAggPlan,
  type TensorLayout,
} from '../../shared/federation/index.ts';
import { clipRangeOf } from '../../shared/node/secagg/index.ts';
import { roundClipNorm } from '../adaptive-clipping.ts';
import type { HubContext } from '../hub-context.ts';
import type { TaskRow } from '../store/index.ts';
import { definitionOf } from '../tasks.ts';

export async function secureSumProblem(
  ctx: HubContext,
  task: TaskRow,
  round: number,
  sum: { sums: readonly Float64Array[]; totalWeight: number; clipBitSum: number | null },
  survivors: readonly string[],
  plan: Pick<SecAggPlan, 'clipRange' | 'statisticsClipRange' | 'levels'>,
  layout: readonly TensorLayout[],
): Promise<string | null> {
  const definition = definitionOf(task);
  const { sums, totalWeight, clipBitSum } = sum;
  const bitBound = clipBitBounds(definition, survivors.length)?.sum ?? null;
  if (clipBitSum !== null && bitBound !== null && !(Math.abs(clipBitSum) <= bitBound)) {
    return (
      `The sites' clipping bits add up to ${clipBitSum.toPrecision(4)}, outside what ${survivors.length} noised bits can ` +
      `(±${bitBound.toPrecision(4)}): it would move the next clip norm to 0 or to infinity. Nothing was published.`
    );
  }
  let weightLimit = 0;
  for (const siteId of survivors) {
    const declared = (await ctx.store.sites.joined(task.id, siteId))?.train_examples ?? null;
    weightLimit += examplesBound(definition, declared);
  }
  if (totalWeight > weightLimit) {
    return (
      `The sites' masked example counts add up to ${totalWeight}, more than the ${weightLimit} they declared ` +
      'when they joined (or the task allows); a site overstated its weight. Nothing was published.'
    );
  }
  let squares = 0;
  let values = 0;
  let stepSquares = 0;
  for (const [t, tensor] of sums.entries()) {
    const name = layout[t]?.name ?? '';
    const clip = clipRangeOf(name, plan);
    const valueLimit = clip * totalWeight * (1 + 1e-9);
    // The norm bound counts the trained values only; running statistics have their value bound alone.
    const trained = !isRunningStatistic(name);
    const step = (2 * clip) / (plan.levels - 1);
    if (trained) stepSquares += step * step * tensor.length;
    for (const value of tensor) {
      if (!(value <= valueLimit)) {
        return (
          'A value of the unmasked sum lies outside what the sites’ clipped updates can add up to; ' +
          'a site masked a malformed input. Nothing was published.'
        );
      }
      if (trained) squares += value * value;
    }
    if (trained) values += tensor.length;
  }
  const bound = updateNormBound(definition, values, await roundClipNorm(ctx.store, task.id, round));
  const normLimit = totalWeight * (bound + Math.sqrt(stepSquares));
  const norm = Math.sqrt(squares);
  if (norm > normLimit) {
    return (
      `The unmasked sum's L2 norm over its trained values (${norm.toPrecision(4)}; batch norm's running statistics are not counted) is above what ${survivors.length} updates within the ` +
      `task's bound can add up to (${normLimit.toPrecision(4)}: maxUpdateNorm ${bound.toPrecision(4)} per unit of weight); ` +
      'a site sent an update above the bound. Nothing was published.'
    );
  }
  return null;
}
