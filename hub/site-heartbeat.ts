// A site's heartbeat: about once a minute, idle or not, a signed request saying what the site is
// doing and what it decided about the tasks it was offered. The hub keeps only the latest one; the
// dashboard reads online / idle / offline from it (offline only after a few missed heartbeats).
import {
  HEARTBEAT_INTERVAL_SECONDS,
  type HeartbeatRequest,
  type HeartbeatResponse,
  type SiteActivityState,
} from '../shared/federation/index.ts';
import { isoAt, type HubContext } from './hub-context.ts';
import type { SiteRow } from './store/index.ts';
import { siteMaySee } from './tasks.ts';

/** A site is offline once this long has passed without a heartbeat or another signed request. */
export const OFFLINE_AFTER_MS = (3 * HEARTBEAT_INTERVAL_SECONDS + 30) * 1000;

export type SitePresence = 'online' | 'idle' | 'offline' | 'removed';

export async function recordHeartbeat(
  ctx: HubContext,
  site: SiteRow,
  heartbeat: HeartbeatRequest,
): Promise<HeartbeatResponse> {
  // Only tasks this site may see: a site cannot write decisions about other tasks.
  let decisions: typeof heartbeat.tasks;
  if (heartbeat.tasks) {
    decisions = [];
    for (const item of heartbeat.tasks) {
      const task = await ctx.store.tasks.task(item.taskId);
      if (task !== undefined && siteMaySee(task, site)) decisions.push(item);
    }
  }
  await ctx.store.transaction((tx) =>
    tx.sites.recordHeartbeat(site.id, isoAt(ctx), heartbeat.state, decisions),
  );
  return { hubTime: ctx.now(), nextInSeconds: HEARTBEAT_INTERVAL_SECONDS };
}

/**
 * Online: heard from within OFFLINE_AFTER_MS and working (training, or signed requests without a
 * heartbeat, as sites before heartbeats made); idle: heard from, with nothing to do (idle, waiting
 * for approval, paused, or stopped by an error); offline: not heard from for three heartbeats.
 */
export function sitePresence(site: SiteRow, now: number): SitePresence {
  if (site.removed_at) return 'removed';
  const heard = Math.max(
    site.last_seen_at ? Date.parse(site.last_seen_at) : -Infinity,
    site.heartbeat_at ? Date.parse(site.heartbeat_at) : -Infinity,
  );
  if (now - heard >= OFFLINE_AFTER_MS) return 'offline';
  const state = freshState(site, now);
  return state === null || state === 'training' ? 'online' : 'idle';
}

/** What the site's latest heartbeat said, while it is recent enough to be believed. */
export function freshState(site: SiteRow, now: number): SiteActivityState | null {
  if (!site.heartbeat_at || !site.heartbeat_state) return null;
  return now - Date.parse(site.heartbeat_at) < OFFLINE_AFTER_MS ? site.heartbeat_state : null;
}

export const ACTIVITY_WORDS: Record<SiteActivityState, string> = {
  idle: 'nothing to do',
  'waiting-for-approval': 'waiting for the operator to approve a task',
  training: 'training',
  paused: 'paused by the operator',
  error: 'stopped by a problem (see the site)',
};
