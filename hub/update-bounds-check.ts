// The bounds on one plain (unmasked) update: the examples it claims, its L2 norm, and (adaptive
// clipping) its noised clipping bit. The norm's verdict is recorded with the submission (norm, bound,
// within / clipped / refused), so the coordinator can see what honest sites send and tighten
// task.maxUpdateNorm. A clipped update is accepted and scaled down to the bound when the round is
// aggregated (the sealed bytes stay as the site sent them). The norm counts the trained values only;
// batch norm's running statistics are bounded value by value (shared/federation/update-bounds.ts), and
// an update with one past that bound is refused whatever the norm policy.
import {
  clipBitBounds,
  examplesBound,
  statisticsBoundProblem,
  statisticsValueBound,
  trainedL2Norm,
  trainedValueCount,
  updateNormBound,
  type WeightSet,
} from '../shared/federation/index.ts';
import { roundClipNorm } from './adaptive-clipping.ts';
import type { HubContext } from './hub-context.ts';
import type { SiteRow, SubmissionRow, TaskRow } from './store/index.ts';
import { definitionOf } from './tasks.ts';

export interface UpdateBoundsVerdict {
  readonly norm: number;
  readonly bound: number;
  readonly action: 'within' | 'clipped' | 'refused';
  /** Why the update is refused; null when it is accepted (possibly clipped). */
  readonly reason: string | null;
}

/** The most examples this site may claim in task `taskId`, and where that limit comes from. */
export async function siteExamplesLimit(
  ctx: HubContext,
  task: TaskRow,
  siteId: string,
  split: 'train' | 'validation',
): Promise<{ limit: number; declared: boolean }> {
  const joined = await ctx.store.sites.joined(task.id, siteId);
  const declared = (split === 'train' ? joined?.train_examples : joined?.validation_examples) ?? null;
  return { limit: examplesBound(definitionOf(task), declared), declared: declared !== null };
}

export async function boundPlainUpdate(
  ctx: HubContext,
  task: TaskRow,
  site: SiteRow,
  round: number,
  examples: number,
  delta: WeightSet,
  /** Adaptive clipping: the site's noised bit (null without it). */
  clipBit: number | null = null,
): Promise<UpdateBoundsVerdict> {
  const definition = definitionOf(task);
  const values = trainedValueCount(delta);
  const bound = updateNormBound(definition, values, await roundClipNorm(ctx.store, task.id, round));
  const norm = trainedL2Norm(delta);
  const { limit, declared } = await siteExamplesLimit(ctx, task, site.id, 'train');
  const normAction =
    norm <= bound ? 'within' : definition.updateNormPolicy === 'clip' ? 'clipped' : 'refused';
  if (examples > limit) {
    return {
      norm,
      bound,
      action: normAction,
      reason: declared
        ? `The update claims ${examples} training examples, but this site declared ${limit} when it joined the task ` +
          '(or the task allows no more); send the number of images it trained on, or join the task again with its current cohort.'
        : `The update claims ${examples} training examples, more than the task allows one site (${limit}); send the number of images it trained on.`,
    };
  }
  const bitBound = clipBitBounds(definition, 1)?.perSite ?? null;
  if (clipBit !== null && bitBound !== null && !(Math.abs(clipBit) <= bitBound)) {
    return {
      norm,
      bound,
      action: normAction,
      reason:
        `The update's clipping bit is outside what a site's noised bit can be (±${formatNorm(bitBound)}); ` +
        'it would move the next round’s clip norm to 0 or to infinity. Update RadFed at the site.',
    };
  }
  const statistics = statisticsBoundProblem(delta, statisticsValueBound(definition));
  if (statistics !== null) return { norm, bound, action: 'refused', reason: statistics };
  if (normAction !== 'refused') return { norm, bound, action: normAction, reason: null };
  return {
    norm,
    bound,
    action: normAction,
    reason:
      `The update's L2 norm over its trained values (batch norm's running statistics are bounded value by value, not counted) ` +
      `is ${formatNorm(norm)}, above the task's bound of ${formatNorm(bound)} (maxUpdateNorm); ` +
      'local training moved the model too far: lower the learning rate or the local epochs and train again.',
  };
}

/** The factor an accepted update is multiplied by when aggregated: below 1 only when it was clipped. */
export function clipScale(
  submission: Pick<SubmissionRow, 'norm_action' | 'update_norm' | 'norm_bound'>,
): number {
  if (submission.norm_action !== 'clipped' || !submission.update_norm || !submission.norm_bound) return 1;
  return submission.norm_bound / submission.update_norm;
}

/**
 * The coordinator's view of a round's update norms, so a bound can be set a few times above what
 * honest sites send: "norms 0.81 to 4.06 (bound 1.000), 1 clipped, 1 refused"; null when none was recorded.
 */
export async function describeRoundNorms(
  ctx: HubContext,
  taskId: string,
  round: number,
): Promise<string | null> {
  const rows = await ctx.store.uploads.boundedUpdates(taskId, round);
  const norms = rows.flatMap((row) => (row.update_norm === null ? [] : [row.update_norm]));
  if (norms.length === 0) return null;
  const count = (action: string) => rows.filter((row) => row.norm_action === action).length;
  const bound = rows[rows.length - 1]?.norm_bound ?? null;
  return (
    `norms ${formatNorm(Math.min(...norms))} to ${formatNorm(Math.max(...norms))}` +
    `${bound === null ? '' : ` (bound ${formatNorm(bound)})`}, ${count('clipped')} clipped, ${count('refused')} refused`
  );
}

function formatNorm(value: number): string {
  return value >= 1e6 || value < 1e-3 ? value.toExponential(2) : value.toPrecision(4);
}
