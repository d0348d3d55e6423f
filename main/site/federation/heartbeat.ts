// The site's heartbeat to the hub: about once a minute while the federation loop runs, idle or not,
// so the coordinator's dashboard can tell an idle site from one that is gone. It carries what the site
// is doing and its decisions on the hub's tasks (approved, declined, cannot take part); never anything
// about patients or images. A heartbeat that fails is not retried: the next one comes in a minute.
import type { Database } from 'better-sqlite3';
import {
  HEARTBEAT_INTERVAL_SECONDS,
  type HeartbeatRequest,
  type SiteActivityState,
  type SiteTaskDecision,
} from '../../../shared/federation/index.ts';
import { HubClient } from '../../../shared/node/federation/index.ts';
import { AuditLog } from '../audit/index.ts';
import { openSite } from '../store/index.ts';
import { listApprovals } from './approvals.ts';
import { loadEnrollment } from './enrollment-store.ts';
import { hubAgent } from './proxy-tunnel.ts';

export interface Heartbeat {
  /** Sends one now (also what the timer does); resolves when it was answered or failed. */
  beat(): Promise<void>;
  stop(): void;
}

export function startHeartbeat(options: {
  client: Pick<HubClient, 'sendHeartbeat'>;
  /** What to say: called for each heartbeat. */
  report: () => HeartbeatRequest | Promise<HeartbeatRequest>;
  signal: AbortSignal;
  intervalMs?: number;
  onError?: (error: unknown) => void;
}): Heartbeat {
  let sending: Promise<void> | null = null;
  const beat = () => {
    if (options.signal.aborted) return Promise.resolve();
    sending ??= Promise.resolve()
      .then(options.report)
      .then((report) => options.client.sendHeartbeat(report))
      .then(
        () => undefined,
        (error: unknown) => options.onError?.(error),
      )
      .finally(() => {
        sending = null;
      });
    return sending;
  };
  const timer = setInterval(() => void beat(), options.intervalMs ?? HEARTBEAT_INTERVAL_SECONDS * 1000);
  timer.unref();
  const stop = () => clearInterval(timer);
  options.signal.addEventListener('abort', stop, { once: true });
  void beat();
  return { beat, stop };
}

/**
 * The site's decisions on hub tasks, from its own records: approvals, and declines (audit entries) not
 * followed by an approval; a task whose round work found no training images cannot take part.
 */
export function taskDecisions(
  db: Database,
  cannotTakePart: ReadonlySet<string> = new Set(),
): NonNullable<HeartbeatRequest['tasks']> {
  const decisions = new Map<string, SiteTaskDecision>();
  const approvedAt = new Map<string, string>();
  for (const approval of listApprovals(db)) {
    decisions.set(approval.taskId, 'approved');
    approvedAt.set(approval.taskId, approval.approvedAt);
  }
  for (const entry of new AuditLog(db).list({ type: 'federation.task-declined' })) {
    const taskId = entry.detail.taskId;
    if (typeof taskId !== 'string') continue;
    const approved = approvedAt.get(taskId);
    if (!approved || entry.time > approved) decisions.set(taskId, 'declined');
  }
  for (const taskId of cannotTakePart) decisions.set(taskId, 'cannot-take-part');
  return [...decisions]
    .filter(([taskId]) => /^[A-Za-z0-9_-]{1,64}$/.test(taskId))
    .slice(0, 500)
    .map(([taskId, decision]) => ({ taskId, decision }));
}

/** The loop's state in the heartbeat's words; `undecided`: active hub tasks this site has not decided on. */
export function loopActivity(facts: {
  training: boolean;
  failing: boolean;
  undecided: number;
}): SiteActivityState {
  if (facts.training) return 'training';
  if (facts.failing) return 'error';
  return facts.undecided > 0 ? 'waiting-for-approval' : 'idle';
}

/** The federation loop's heartbeat: its facts, the site's decisions, and the hub tasks still undecided. */
export function startLoopHeartbeat(options: {
  client: Pick<HubClient, 'sendHeartbeat' | 'listTasks'>;
  db: Database;
  signal: AbortSignal;
  /** `cannotTakePart`: approved tasks whose runner gave up (not transient: no cohort, labels differ). */
  facts: () => { training: boolean; failing: boolean; cannotTakePart: ReadonlySet<string> };
  intervalMs?: number;
}): Heartbeat {
  let stopped = false;
  const heartbeat = startHeartbeat({
    client: options.client,
    signal: options.signal,
    ...(options.intervalMs ? { intervalMs: options.intervalMs } : {}),
    report: async () => {
      if (stopped) throw new Error('The federation loop has ended.');
      const facts = options.facts();
      const tasks = taskDecisions(options.db, facts.cannotTakePart);
      const decided = new Set(tasks.map((task) => task.taskId));
      const hubTasks = await options.client.listTasks().catch(() => []);
      const undecided = hubTasks.filter((task) => task.state === 'active' && !decided.has(task.id)).length;
      return {
        state: loopActivity({ training: facts.training, failing: facts.failing, undecided }),
        tasks,
      };
    },
  });
  return {
    beat: heartbeat.beat,
    stop: () => {
      stopped = true;
      heartbeat.stop();
    },
  };
}

/**
 * One heartbeat from outside the loop: for a site whose operator paused taking part (the loop is
 * stopped, so nothing else tells the hub it is still there). Throws what the hub answered.
 */
export async function sendSiteHeartbeat(siteDir: string, state: SiteActivityState): Promise<void> {
  const enrollment = loadEnrollment(siteDir);
  const agent = hubAgent(enrollment.hubUrl);
  const site = openSite(siteDir);
  try {
    const tasks = taskDecisions(site.database);
    await HubClient.fromEnrollment(enrollment, agent ? { agent } : {}).sendHeartbeat({ state, tasks });
  } finally {
    site.database.close();
    agent?.destroy();
  }
}
