// A masked input arrives through the ordinary resumable upload (kind 'delta' in a task with secure
// aggregation): only in the masking phase, only from a site that shared its keys, and only as an
// RFM1 vector of exactly the model's size plus the weight. Nothing else about it can be checked: the
// values are uniform mod 2³² to the hub, by design.
import { layoutOf, type NamedTensor } from '../../shared/federation/index.ts';
import { decodeMaskedInput, SecureAggregationError, vectorLength } from '../../shared/node/secagg/index.ts';
import { conflict, forbidden } from '../hub-errors.ts';
import type { HubRows, SiteRow } from '../store/index.ts';
import { SecAggRows } from './secagg-rows.ts';

export async function checkMaskedUploadAllowed(
  store: HubRows,
  taskId: string,
  round: number,
  site: SiteRow,
): Promise<void> {
  const rows = new SecAggRows(store.sql);
  const state = await rows.round(taskId, round);
  if (state?.phase !== 'masking') {
    throw conflict(
      'round-not-collecting',
      `Round ${round} of task ${taskId} takes masked inputs only in its masking phase (it is ${state?.phase ?? 'not started'}); fetch the round again.`,
    );
  }
  if ((await rows.participant(taskId, round, site.id))?.shared_at == null) {
    throw forbidden(
      'not-in-round',
      `This site did not share its keys in round ${round}, so its masked input cannot be used.`,
    );
  }
}

/** The reason to refuse a masked input, or null when it is acceptable. */
export function maskedInputProblem(
  plaintext: Uint8Array,
  base: readonly NamedTensor[],
  /** Adaptive clipping: one more element, the site's noised clipping bit. */
  withClipBit = false,
): string | null {
  try {
    const vector = decodeMaskedInput(plaintext);
    const wanted = vectorLength(layoutOf(base)) + (withClipBit ? 1 : 0);
    return vector.length === wanted
      ? null
      : `The masked input has ${vector.length} values but an update of this task holds ${wanted}; train the task's model with this task's settings.`;
  } catch (error) {
    if (error instanceof SecureAggregationError) {
      return `${error.message} This task uses secure aggregation: update RadFed at the site so it masks its updates.`;
    }
    throw error;
  }
}
