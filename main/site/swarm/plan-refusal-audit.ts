// A leader's round plan this member refused, in the site's audit log: the privacy officer sees that a
// member of the swarm sent a plan the approved task does not allow (which field, the leader's number and
// the task's), and that this site took no part in that attempt. Numbers and the leader's member id
// (a key fingerprint from the ledger) only: nothing of the leader's text, nothing about a patient.
import { existsSync } from 'node:fs';
import { AuditLog, commandActor, type AuditEntry } from '../audit/index.ts';
import { openSiteDatabase, sitePaths } from '../store/index.ts';
import type { PlanRefusal } from './round-plan-check.ts';

export const SWARM_PLAN_REFUSED = 'swarm.plan-refused';

export interface PlanRefusalAudit {
  readonly log: AuditLog;
  /** Who the entry names: the account `radfed swarm serve` runs as (unattended work). */
  readonly actor: string;
}

export function recordPlanRefused(audit: PlanRefusalAudit, refusal: PlanRefusal): AuditEntry {
  return audit.log.append({
    type: SWARM_PLAN_REFUSED,
    actor: audit.actor,
    detail: {
      round: refusal.round,
      attempt: refusal.attempt,
      leader: refusal.leader,
      field: refusal.field,
      planned: refusal.planned,
      expected: refusal.expected,
      reason: refusal.sentence,
    },
  });
}

/**
 * The audit log of the site in `dir` for a member served there (`radfed swarm serve`), under the
 * account it runs as, with the database's close; null when `dir` holds no site (a swarm-only folder:
 * a refusal then goes to the log and the operator only).
 */
export function openSiteAudit(
  dir: string,
  actor: string = commandActor(),
): { readonly audit: PlanRefusalAudit; close(): void } | null {
  const paths = sitePaths(dir);
  if (!existsSync(paths.config)) return null;
  const database = openSiteDatabase(paths.database);
  return { audit: { log: new AuditLog(database), actor }, close: () => database.close() };
}
