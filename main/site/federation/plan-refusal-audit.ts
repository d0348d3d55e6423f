// A hub's secure-aggregation plan this site refused, in the site's audit log: the privacy officer sees
// that the hub asked for something the approved task does not allow (which field, the hub's number and
// the task's), in which phase, and whether the site's masked update had already left. Numbers and our
// own sentence only: nothing of the hub's text, nothing about a patient.
import type { AuditEntry, AuditLog } from '../audit/index.ts';
import type { HubPlanRefusal } from './secagg-plan-check.ts';
import { writeSafely, type AuditContext } from './update-audit.ts';

export const FEDERATION_PLAN_REFUSED = 'federation.plan-refused';

export function recordHubPlanRefused(
  audit: AuditLog,
  actor: string,
  refused: { taskId: string; taskName: string; hubName: string; refusal: HubPlanRefusal },
): AuditEntry {
  const { refusal } = refused;
  return audit.append({
    type: FEDERATION_PLAN_REFUSED,
    actor,
    detail: {
      taskId: refused.taskId,
      taskName: refused.taskName,
      hubName: refused.hubName,
      round: refusal.round,
      phase: refusal.phase,
      field: refusal.field,
      planned: refusal.planned,
      expected: refusal.expected,
      problem: refusal.problem,
      maskedInputSent: refusal.maskedInputSent,
      reason: refusal.sentence,
    },
  });
}

/** The refusal in the site's audit log, under the site's hub and the task's name. */
export function auditHubPlanRefused(ctx: AuditContext, refusal: HubPlanRefusal): void {
  writeSafely(
    ctx,
    (code) =>
      `This site refused the hub's plan for round ${refusal.round}, but the audit entry could not be written (${code}). ` +
      "Free disk space on the site's drive.",
    (audit, actor, hubName) =>
      recordHubPlanRefused(audit, actor, {
        taskId: ctx.taskId,
        taskName: ctx.definition.name,
        hubName,
        refusal,
      }),
  );
}
