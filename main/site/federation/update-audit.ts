// The audit entry for a model update that left the site: written once the hub has taken it, with what
// a privacy officer needs to match it against the hub's records (the SHA-256 of the exact bytes sent)
// and the protections in force (compression, secure aggregation, differential privacy and the ε this
// site has spent on the task counting this update). The upload itself is not changed by any of this.
import { privacySpentAfter, type SealedUpdate } from '../../../shared/federation/index.ts';
import { AuditLog, commandActor, recordUpdateSent } from '../audit/index.ts';
import { updatesSent } from './dp-site-budget.ts';
import { loadEnrollment } from './enrollment-store.ts';
import type { RoundContext } from './round-work.ts';

export function auditUpdateSent(
  ctx: Pick<RoundContext, 'site' | 'taskId' | 'definition' | 'state' | 'clock' | 'emit'> & {
    readonly actor?: string;
  },
  sent: { round: number; baseVersion: number; sealed: SealedUpdate; examples: number },
): void {
  const { definition } = ctx;
  const dp = definition.privacy.differentialPrivacy;
  try {
    let hubName: string;
    try {
      hubName = loadEnrollment(ctx.site.directory).hub.name;
    } catch {
      hubName = 'the hub';
    }
    recordUpdateSent(new AuditLog(ctx.site.database, ctx.clock), ctx.actor ?? commandActor(), {
      taskId: ctx.taskId,
      taskName: definition.name,
      hubName,
      round: sent.round,
      baseVersion: sent.baseVersion,
      bytes: sent.sealed.sealed.byteLength,
      sha256: sent.sealed.sha256,
      compression: sent.sealed.compression,
      secureAggregation: definition.privacy.secureAggregation.enabled,
      differentialPrivacy: dp
        ? {
            clipNorm: dp.clipNorm,
            noiseMultiplier: dp.noiseMultiplier,
            epsilonBudget: dp.budget.epsilon,
            delta: dp.budget.delta,
            // The site's own count (dp-site-budget.ts): the history already holds this update.
            epsilonSpent: privacySpentAfter(dp, updatesSent(ctx.state)).epsilon,
          }
        : null,
      examples: sent.examples,
    });
  } catch (error) {
    // The update is at the hub already; a log that cannot be written (a full disk) is said, not thrown.
    ctx.emit({
      type: 'problem',
      taskId: ctx.taskId,
      message: `The update for round ${sent.round} was sent, but its audit entry could not be written (${
        error instanceof Error && 'code' in error ? String(error.code) : 'unknown error'
      }). Free disk space on the site's drive.`,
    });
  }
}
