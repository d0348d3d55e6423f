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

export function deltaSubmissionsOfTask(ctx: HubContext, taskId: string): Promise<SubmissionSummary[]> {
  return ctx.store.sql.all<SubmissionSummary>(
    `SELECT round, site_id, state, examples, reason FROM submissions
     WHERE task_id = @taskId AND kind = 'delta' ORDER BY round, site_id, created_at`,
    { taskId },
  );
}

/** How many tasks each site joined, and its accepted updates over all tasks, keyed by site id. */
export async function siteActivity(
  ctx: HubContext,
): Promise<Map<string, { tasks: number; updates: number }>> {
  const rows = await ctx.store.sql.all<{ site_id: string; tasks: number; updates: number }>(
    `SELECT s.id AS site_id,
            (SELECT COUNT(*) FROM task_sites t WHERE t.site_id = s.id) AS tasks,
            (SELECT COUNT(*) FROM submissions u
              WHERE u.site_id = s.id AND u.kind = 'delta' AND u.state = 'accepted') AS updates
     FROM sites s`,
  );
  return new Map(rows.map((row) => [row.site_id, { tasks: row.tasks, updates: row.updates }]));
}
