// The audit entry for a split-learning session this site stopped itself (its hijack check's verdict):
// the privacy officer reads why, at which round and step, and that nothing more was sent to the hub;
// and the withdrawal of the site's approval that follows, so no later round trains until it is renewed.
// Carries the verdict's sentence (losses and counts only: no image, label or patient datum).
import { AuditLog, commandActor } from '../audit/index.ts';
import { approvalOf, withdrawApproval } from './approvals.ts';
import { loadEnrollment } from './enrollment-store.ts';
import type { RoundContext } from './round-work.ts';

export const SPLIT_SESSION_STOPPED = 'federation.split-session-stopped';

export function auditSplitSessionStopped(
  ctx: Pick<RoundContext, 'site' | 'taskId' | 'definition' | 'clock' | 'actor'>,
  stopped: { round: number; step: number; code: string; reason: string },
): void {
  let hubName = 'the hub';
  try {
    hubName = loadEnrollment(ctx.site.directory).hub.name;
  } catch {
    // the entry matters more than the hub's name
  }
  new AuditLog(ctx.site.database, ctx.clock).append({
    type: SPLIT_SESSION_STOPPED,
    actor: ctx.actor ?? commandActor(),
    detail: {
      taskId: ctx.taskId,
      taskName: ctx.definition.name,
      hubName,
      round: stopped.round,
      step: stopped.step,
      code: stopped.code,
      reason: stopped.reason,
    },
  });
}

/** Withdraws this site's approval of the task after its hijack check stopped a session (audited). */
export function withdrawApprovalAfterVerdict(
  ctx: Pick<RoundContext, 'site' | 'taskId' | 'clock' | 'actor'>,
): void {
  if (!approvalOf(ctx.site.database, ctx.taskId)) return;
  withdrawApproval(ctx.site.database, {
    taskId: ctx.taskId,
    actor: ctx.actor ?? commandActor(),
    clock: ctx.clock,
  });
}
