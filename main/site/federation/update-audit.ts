// The audit entries for model weights that leave the site, written once the hub has taken them, with
// what a privacy officer needs to match them against the hub's records (the SHA-256 of the exact bytes
// sent) and the protections in force (compression, secure aggregation, differential privacy and the ε
// this site has spent on the task counting the update). The uploads themselves are not changed.
import { privacySpentAfter } from '../../../shared/federation/index.ts';
import { type SealedUpdate } from '../../../shared/node/federation/index.ts';
import { AuditLog, commandActor, recordInitialModelSent, recordUpdateSent } from '../audit/index.ts';
import { updatesSent } from './dp-site-budget.ts';
import { loadEnrollment } from './enrollment-store.ts';
import type { RoundContext } from './round-work.ts';
import { safeCode } from '../../../shared/log-safety.ts';

export type AuditContext = Pick<RoundContext, 'site' | 'taskId' | 'definition' | 'clock' | 'emit'> & {
  readonly actor?: string;
};

/** One round's update, after the hub accepted it. */
export function auditUpdateSent(
  ctx: AuditContext & Pick<RoundContext, 'state'>,
  sent: { round: number; baseVersion: number; sealed: SealedUpdate; examples: number },
): void {
  const { definition } = ctx;
  const dp = definition.privacy.differentialPrivacy;
  writeSafely(ctx, sentButUnaudited(`the update for round ${sent.round}`), (audit, actor, hubName) =>
    recordUpdateSent(audit, actor, {
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
            clipNorm: dp.unit === 'patient' ? dp.l2NormClip : dp.clipNorm,
            noiseMultiplier: dp.noiseMultiplier,
            epsilonBudget: dp.budget.epsilon,
            delta: dp.budget.delta,
            // The site's own count (dp-site-budget.ts): the history already holds this update.
            epsilonSpent: privacySpentAfter(definition, updatesSent(ctx.state)).epsilon,
          }
        : null,
      examples: sent.examples,
    }),
  );
}

/** The task's starting weights this site offered the hub (made from the architecture, no data). */
export function auditInitialModelSent(ctx: AuditContext, sealed: SealedUpdate): void {
  writeSafely(ctx, sentButUnaudited('the starting model'), (audit, actor, hubName) =>
    recordInitialModelSent(audit, actor, {
      taskId: ctx.taskId,
      taskName: ctx.definition.name,
      hubName,
      bytes: sealed.sealed.byteLength,
      sha256: sealed.sha256,
    }),
  );
}

const sentButUnaudited = (what: string) => (code: string) =>
  `${what[0]?.toUpperCase()}${what.slice(1)} was sent, but its audit entry could not be written (${code}). ` +
  "Free disk space on the site's drive.";

/**
 * Writes one entry naming the hub the site is enrolled with; a log that cannot be written (a full disk)
 * is told to the operator with `unwritten`'s sentence (given the error's code), never thrown: what the
 * entry records has happened already.
 */
export function writeSafely(
  ctx: AuditContext,
  unwritten: (code: string) => string,
  write: (audit: AuditLog, actor: string, hubName: string) => void,
): void {
  try {
    let hubName: string;
    try {
      hubName = loadEnrollment(ctx.site.directory).hub.name;
    } catch {
      hubName = 'the hub';
    }
    write(new AuditLog(ctx.site.database, ctx.clock), ctx.actor ?? commandActor(), hubName);
  } catch (error) {
    ctx.emit({ type: 'problem', taskId: ctx.taskId, message: unwritten(safeCode(error) ?? 'unknown error') });
  }
}
