// What the dashboard shows, gathered from the hub store as plain values (no HTML here): the hub itself,
// its sites, enrollment tokens, tasks, and one task's rounds, metrics, participation, privacy and models.
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { TaskDefinition } from '../../shared/federation/index.ts';
import type { HubContext } from '../hub-context.ts';
import { bestModelVersion, modelMeta } from '../model-registry.ts';
import { ACTIVITY_WORDS, freshState, sitePresence, type SitePresence } from '../site-heartbeat.ts';
import { privacySummary, type PrivacySummary } from './privacy-summary.ts';
import { siteStandings, type SiteStanding } from './site-standings.ts';
import { neededUpdates } from '../rounds.ts';
import type { RoundRow, SiteRow, TaskRow } from '../store/index.ts';
import { definitionOf, findTask } from '../tasks.ts';
import { deltaSubmissionsOfTask, siteActivity, type SubmissionSummary } from './dashboard-queries.ts';

/** The hub certificate is flagged this long before it expires. */
export const CERTIFICATE_WARNING_MS = 30 * 24 * 3600_000;

export interface HubSummary {
  name: string;
  hosts: string[];
  caFingerprint: string;
  certificateExpiresAt: string;
  certificateExpiresSoon: boolean;
  sitesOnline: number;
  sites: number;
  activeTasks: number;
  tasks: number;
  unusedTokens: number;
}

export interface SiteSummary {
  id: string;
  name: string;
  /** From its heartbeats and signed requests (site-heartbeat.ts). */
  presence: SitePresence;
  /** What its latest heartbeat said, in words; null without a recent one. */
  activity: string | null;
  lastSeenAt: string | null;
  enrolledAt: string;
  /** The site's RadFed version; protocol 1 does not report it, so null. */
  version: string | null;
  tasks: number;
  acceptedUpdates: number;
}

export type TokenState = 'unused' | 'used' | 'expired' | 'revoked';

export interface TokenSummary {
  id: string;
  siteName: string | null;
  state: TokenState;
  createdAt: string;
  expiresAt: string;
  usedAt: string | null;
  usedBySite: string | null;
}

export interface TaskSummary {
  id: string;
  name: string;
  state: TaskRow['state'];
  strategy: string;
  roundsPlanned: number;
  roundsPublished: number;
  currentRound: number | null;
  currentRoundState: RoundRow['state'] | null;
  joinedSites: number;
  latestVersion: number | null;
  createdAt: string;
}

export interface RoundSummary {
  number: number;
  state: RoundRow['state'];
  openedAt: string;
  closedAt: string | null;
  deadlineAt: string | null;
  acceptedUpdates: number;
  rejectedUpdates: number;
  quorum: number;
  failureReason: string | null;
}

export interface ModelSummary {
  version: number;
  round: number;
  createdAt: string;
  bytes: number;
  sha256: string;
  loss: number | null;
  accuracy: number | null;
  auc: number | null;
  evaluatedBy: number;
  /** The best version by the federated evaluation (highest AUC, else lowest loss). */
  best: boolean;
}

export type { PrivacySummary } from './privacy-summary.ts';

export interface Participation {
  sites: { id: string; name: string }[];
  /** rows[i] is round rounds[i]; cells are the examples each site's accepted update carried, or null. */
  rounds: number[];
  examples: (number | null)[][];
}

export interface TaskDetail {
  summary: TaskSummary;
  definition: TaskDefinition;
  rounds: RoundSummary[];
  models: ModelSummary[];
  participation: Participation;
  privacy: PrivacySummary;
  sites: SiteStanding[];
}

export async function hubSummary(ctx: HubContext): Promise<HubSummary> {
  const certificate = new X509Certificate(readFileSync(ctx.layout.serverCert));
  const expires = new Date(certificate.validTo);
  const sites = await siteSummaries(ctx);
  const tasks = await ctx.store.tasks.listTasks();
  const tokens = await tokenSummaries(ctx);
  return {
    name: ctx.config.name,
    hosts: [...ctx.config.hosts],
    caFingerprint: ctx.keys.caFingerprint,
    certificateExpiresAt: expires.toISOString(),
    certificateExpiresSoon: expires.getTime() - ctx.now() < CERTIFICATE_WARNING_MS,
    sitesOnline: sites.filter((site) => site.presence === 'online' || site.presence === 'idle').length,
    sites: sites.filter((site) => site.presence !== 'removed').length,
    activeTasks: tasks.filter((task) => task.state === 'active').length,
    tasks: tasks.length,
    unusedTokens: tokens.filter((token) => token.state === 'unused').length,
  };
}

export async function siteSummaries(ctx: HubContext): Promise<SiteSummary[]> {
  const activity = await siteActivity(ctx);
  return (await ctx.store.sites.listSites()).map((site) => ({
    id: site.id,
    name: site.name,
    presence: sitePresence(site, ctx.now()),
    activity: activityWords(site, ctx.now()),
    lastSeenAt: site.last_seen_at,
    enrolledAt: site.enrolled_at,
    version: null,
    tasks: activity.get(site.id)?.tasks ?? 0,
    acceptedUpdates: activity.get(site.id)?.updates ?? 0,
  }));
}

export async function tokenSummaries(ctx: HubContext): Promise<TokenSummary[]> {
  const names = new Map((await ctx.store.sites.listSites()).map((site) => [site.id, site.name]));
  return (await ctx.store.sites.listTokens()).reverse().map((token) => ({
    id: token.id,
    siteName: token.site_name,
    state: token.used_at
      ? 'used'
      : token.revoked_at
        ? 'revoked'
        : Date.parse(token.expires_at) <= ctx.now()
          ? 'expired'
          : 'unused',
    createdAt: token.created_at,
    expiresAt: token.expires_at,
    usedAt: token.used_at,
    usedBySite: token.used_by_site ? (names.get(token.used_by_site) ?? token.used_by_site) : null,
  }));
}

export async function taskSummary(ctx: HubContext, task: TaskRow): Promise<TaskSummary> {
  const definition = definitionOf(task);
  const latest = await ctx.store.tasks.latestRound(task.id);
  return {
    id: task.id,
    name: definition.name,
    state: task.state,
    strategy: definition.strategy.name,
    roundsPlanned: definition.rounds,
    roundsPublished: await ctx.store.tasks.publishedRoundCount(task.id),
    currentRound: latest?.number ?? null,
    currentRoundState: latest?.state ?? null,
    joinedSites: (await ctx.store.sites.joinedSites(task.id)).length,
    latestVersion: (await ctx.store.models.latestModel(task.id))?.version ?? null,
    createdAt: task.created_at,
  };
}

export async function taskSummaries(ctx: HubContext): Promise<TaskSummary[]> {
  const summaries: TaskSummary[] = [];
  for (const task of (await ctx.store.tasks.listTasks()).reverse())
    summaries.push(await taskSummary(ctx, task));
  return summaries;
}

export async function taskDetail(ctx: HubContext, taskId: string): Promise<TaskDetail> {
  const task = await findTask(ctx, taskId);
  const definition = definitionOf(task);
  const submissions = await deltaSubmissionsOfTask(ctx, task.id);
  const rounds = (await ctx.store.tasks.rounds(task.id)).map((round): RoundSummary => ({
    number: round.number,
    state: round.state,
    openedAt: round.opened_at,
    closedAt: round.closed_at,
    deadlineAt: round.deadline_at,
    acceptedUpdates: submissions.filter((s) => s.round === round.number && s.state === 'accepted').length,
    rejectedUpdates: submissions.filter((s) => s.round === round.number && s.state === 'rejected').length,
    quorum: neededUpdates(definition),
    failureReason: round.failure_reason,
  }));
  const metas = [];
  for (const row of await ctx.store.models.models(task.id))
    metas.push({ row, meta: await modelMeta(ctx, row) });
  const best = bestModelVersion(metas.map(({ meta }) => meta));
  const models = metas.map(({ row, meta }): ModelSummary => {
    return {
      version: row.version,
      round: row.round,
      createdAt: row.created_at,
      bytes: row.bytes,
      sha256: row.blob_sha256,
      loss: meta.metrics.loss,
      accuracy: meta.metrics.accuracy,
      auc: meta.metrics.auc,
      evaluatedBy: meta.metrics.sites,
      best: best?.version === row.version,
    };
  });
  const summary = await taskSummary(ctx, task);
  return {
    summary,
    definition,
    rounds,
    models,
    participation: await participation(ctx, task.id, rounds, submissions),
    privacy: privacySummary(definition, summary.roundsPublished),
    sites: await siteStandings(ctx, task),
  };
}

function activityWords(site: SiteRow, now: number): string | null {
  const state = site.removed_at ? null : freshState(site, now);
  return state ? ACTIVITY_WORDS[state] : null;
}

async function participation(
  ctx: HubContext,
  taskId: string,
  rounds: RoundSummary[],
  submissions: SubmissionSummary[],
): Promise<Participation> {
  const sites: { id: string; name: string }[] = [];
  for (const joined of await ctx.store.sites.joinedSitesWithRemoved(taskId)) {
    sites.push({
      id: joined.site_id,
      name: (await ctx.store.sites.site(joined.site_id))?.name ?? joined.site_id,
    });
  }
  const numbers = rounds.map((round) => round.number);
  return {
    sites,
    rounds: numbers,
    examples: numbers.map((number) =>
      sites.map(
        (site) =>
          submissions.find((s) => s.round === number && s.site_id === site.id && s.state === 'accepted')
            ?.examples ?? null,
      ),
    ),
  };
}
