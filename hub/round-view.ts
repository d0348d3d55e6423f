// The round as one site sees it, and a revision string that changes whenever any of it changes, so a
// site can long-poll ("tell me when this is no longer revision X").
import type { RoundView } from '../shared/federation/index.ts';
import type { HubContext } from './hub-context.ts';
import { neededUpdates } from './rounds.ts';
import type { SiteRow, TaskRow } from './store/index.ts';
import { definitionOf } from './tasks.ts';

export function roundView(ctx: HubContext, task: TaskRow, site: SiteRow): RoundView {
  const { store } = ctx;
  const definition = definitionOf(task);
  const round = store.tasks.latestRound(task.id);
  const latest = store.models.latestModel(task.id);
  const joinedSites = store.sites.joinedSites(task.id).length;
  const joined = store.sites.hasJoined(task.id, site.id);
  const accepted = round ? store.uploads.acceptedUpdates(task.id, round.number) : [];
  const submitted = accepted.some((submission) => submission.site_id === site.id);
  const turnSiteId = round?.turn_site_id ?? null;
  const mayUpload =
    task.state === 'active' &&
    round?.state === 'collecting' &&
    joined &&
    !submitted &&
    (turnSiteId === null || turnSiteId === site.id);
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
  ].join('.');
}
