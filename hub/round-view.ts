// The round as one site sees it, and a revision string that changes whenever any of it changes, so a
// site can long-poll ("tell me when this is no longer revision X"). Read on one snapshot of the store:
// on PostgreSQL another replica may move the task and its round on between two reads, and a view that
// mixed the two (a stopped task with a round still collecting) would wake a long-poll with a state that
// never existed.
import type { RoundView } from '../shared/federation/index.ts';
import type { HubContext } from './hub-context.ts';
import { neededUpdates } from './rounds.ts';
import { roundClipNorm } from './adaptive-clipping.ts';
import { secureActionPending, securePhase } from './secagg/index.ts';
import type { HubRows, SiteRow, TaskRow } from './store/index.ts';
import { definitionOf } from './tasks.ts';

export function roundView(ctx: HubContext, task: TaskRow, site: SiteRow): Promise<RoundView> {
  return ctx.store.snapshot(async (rows) => viewOn(rows, (await rows.tasks.task(task.id)) ?? task, site));
}

async function viewOn(store: HubRows, task: TaskRow, site: SiteRow): Promise<RoundView> {
  const definition = definitionOf(task);
  const round = await store.tasks.latestRound(task.id);
  const latest = await store.models.latestModel(task.id);
  const joinedSites = (await store.sites.joinedSites(task.id)).length;
  const joined = await store.sites.hasJoined(task.id, site.id);
  const accepted = round ? await store.uploads.acceptedUpdates(task.id, round.number) : [];
  const submitted = accepted.some((submission) => submission.site_id === site.id);
  const turnSiteId = round?.turn_site_id ?? null;
  const secure =
    definition.privacy.secureAggregation.enabled && round
      ? await securePhase(store, task.id, round.number)
      : undefined;
  // In a secure round, "may upload" means the site has its next SecAgg+ step to take (keys, shares,
  // masked input or unmasking); the site then follows the phases itself.
  const mayUpload =
    task.state === 'active' &&
    round?.state === 'collecting' &&
    joined &&
    (secure
      ? await secureActionPending(store, task, round.number, site)
      : !submitted && (turnSiteId === null || turnSiteId === site.id));
  const view: Omit<RoundView, 'revision'> = {
    taskId: task.id,
    taskState: task.state,
    round: round?.number ?? null,
    state: round?.state ?? null,
    baseVersion: round?.base_version ?? null,
    latestVersion: latest?.version ?? null,
    needsInitialModel: !latest,
    deadlineAt: round?.deadline_at ?? null,
    joinedSites,
    acceptedUpdates: accepted.length,
    quorum: neededUpdates(definition),
    turnSiteId,
    mayUpload,
    submitted,
    failureReason: round?.failure_reason ?? task.failure_reason ?? null,
    secureAggregation:
      secure && round
        ? {
            phase:
              round.state === 'collecting'
                ? secure.phase
                : round.state === 'aggregating'
                  ? 'aggregating'
                  : round.state === 'published'
                    ? 'done'
                    : 'failed',
            deadlineAt: round.state === 'collecting' ? secure.deadline_at : null,
          }
        : null,
    clipNorm: await roundClipNorm(store, task.id, round?.number ?? null),
  };
  return { ...view, revision: revisionOf(view, joined) };
}

function revisionOf(view: Omit<RoundView, 'revision'>, joined: boolean): string {
  return [
    view.taskState,
    view.round ?? '-',
    view.state ?? '-',
    view.latestVersion ?? '-',
    view.joinedSites,
    view.acceptedUpdates,
    view.submitted ? 's' : '-',
    joined ? 'j' : '-',
    view.secureAggregation?.phase ?? '-',
    view.mayUpload ? 'u' : '-',
  ].join('.');
}
