// Read-only queries the dashboard needs beyond the store's row modules: a task's submissions over all
// rounds at once (for the participation chart), and per-site counts. Never writes.
import type { HubContext } from '../hub-context.ts';

export interface SubmissionSummary {
  round: number;
  site_id: string;
  state: 'accepted' | 'rejected';
  examples: number;
  reason: string | null;
}

export function deltaSubmissionsOfTask(ctx: HubContext, taskId: string): SubmissionSummary[] {
  return ctx.store.db
    .prepare(
      `SELECT round, site_id, state, examples, reason FROM submissions
       WHERE task_id = ? AND kind = 'delta' ORDER BY round, site_id, created_at`,
    )
    .all(taskId) as SubmissionSummary[];
}

/** How many tasks each site joined, and its accepted updates over all tasks, keyed by site id. */
export function siteActivity(ctx: HubContext): Map<string, { tasks: number; updates: number }> {
  const rows = ctx.store.db
    .prepare(
      `SELECT s.id AS site_id,
              (SELECT COUNT(*) FROM task_sites t WHERE t.site_id = s.id) AS tasks,
              (SELECT COUNT(*) FROM submissions u
                WHERE u.site_id = s.id AND u.kind = 'delta' AND u.state = 'accepted') AS updates
       FROM sites s`,
    )
    .all() as { site_id: string; tasks: number; updates: number }[];
  return new Map(rows.map((row) => [row.site_id, { tasks: row.tasks, updates: row.updates }]));
}
