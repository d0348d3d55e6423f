// Where each enrolled site stands with one task, from what the hub knows: its join (and the cohort it
// declared then), its heartbeat's decision on the task (approved, declined, cannot take part), and what
// its latest heartbeat said it was doing.
import type { HubContext } from '../hub-context.ts';
import { ACTIVITY_WORDS, freshState, sitePresence, type SitePresence } from '../site-heartbeat.ts';
import type { TaskRow } from '../store/index.ts';
import { siteMaySee } from '../tasks.ts';

/** Where one enrolled site stands with a task, from what the hub knows. */
export interface SiteStanding {
  id: string;
  name: string;
  presence: SitePresence;
  /** In words: joined (with its cohort), declined, cannot take part, waiting, or not heard of. */
  standing: string;
  tone: 'ok' | 'warn' | 'bad' | 'muted';
}

/**
 * Every enrolled site the task is for, and where it stands: joined (and the cohort it declared),
 * declined or cannot take part (its heartbeat says so), or not joined yet (with what it is doing).
 */
export async function siteStandings(ctx: HubContext, task: TaskRow): Promise<SiteStanding[]> {
  const decisions = new Map((await ctx.store.sites.taskDecisions(task.id)).map((row) => [row.site_id, row]));
  const joined = new Map(
    (await ctx.store.sites.joinedSitesWithRemoved(task.id)).map((row) => [row.site_id, row]),
  );
  return (await ctx.store.sites.listSites())
    .filter((site) => joined.has(site.id) || (!site.removed_at && siteMaySee(task, site)))
    .map((site): SiteStanding => {
      const base = { id: site.id, name: site.name, presence: sitePresence(site, ctx.now()) };
      const decision = decisions.get(site.id)?.decision;
      const join = joined.get(site.id);
      if (site.removed_at) return { ...base, standing: 'removed from the hub', tone: 'muted' };
      if (decision === 'declined') return { ...base, standing: 'declined the task at the site', tone: 'bad' };
      if (join && join.train_examples === 0) {
        return {
          ...base,
          standing: 'cannot take part: no training images for these labels at the site',
          tone: 'bad',
        };
      }
      if (decision === 'cannot-take-part') {
        return {
          ...base,
          standing:
            'cannot take part: the site cannot train for this task as approved (no matching labels or images; the site says why)',
          tone: 'bad',
        };
      }
      if (join) {
        return {
          ...base,
          standing:
            join.train_examples === null
              ? 'joined; declared no cohort yet (held to the task cap)'
              : `joined with ${join.train_examples} training and ${join.validation_examples ?? 0} validation images`,
          tone: 'ok',
        };
      }
      if (decision === 'approved')
        return { ...base, standing: 'approved; joins when it next connects', tone: 'warn' };
      if (task.state !== 'active') return { ...base, standing: 'did not join', tone: 'muted' };
      const state = freshState(site, ctx.now());
      return {
        ...base,
        standing:
          state === 'waiting-for-approval'
            ? 'not joined: a task waits for approval at the site'
            : state
              ? `not joined (the site is ${ACTIVITY_WORDS[state]})`
              : 'not joined yet',
        tone: 'warn',
      };
    });
}
