// The site's federation loop, run by `radfed site run` (and by the demo's site processes): for every
// task approved at this site, a runner that follows its rounds; new approvals are picked up while it
// runs. Training and evaluation take turns (one machine); waiting and uploading overlap freely.
import { HubClient } from '../../../shared/node/federation/index.ts';
import { SerialQueue } from '../../../shared/serial-queue.ts';
import { openSite } from '../store/index.ts';
import type { BackendChoice } from '../train/index.ts';
import { listApprovals } from './approvals.ts';
import { federationPaths, loadEnrollment } from './enrollment-store.ts';
import { explainHubError, isProtocolMismatch } from './explain.ts';
import { startLoopHeartbeat } from './heartbeat.ts';
import { hubAgent } from './proxy-tunnel.ts';
import { sleep } from './retry.ts';
import type { SyncEvent } from './sync-events.ts';
import { SyncError } from './sync-error.ts';
import { runTask, type TaskOutcome } from './task-runner.ts';

export interface RunFederationOptions {
  readonly siteDir: string;
  readonly signal: AbortSignal;
  readonly onEvent?: (event: SyncEvent) => void;
  /** Return once every approved task has ended at the hub (the demo's sites); default: run until stopped. */
  readonly untilDone?: boolean;
  /** Seconds a long-poll waits at the hub (default 25). */
  readonly waitSeconds?: number;
  /** How often approvals are read again (default 30 s). */
  readonly rescanMs?: number;
  readonly backend?: BackendChoice;
  readonly threads?: number;
  /** Upload chunk size asked of the hub (default: the hub's). */
  readonly chunkBytes?: number;
  /** Backoff of retries (ms): first step and cap. */
  readonly retryBaseMs?: number;
  readonly retryMaxMs?: number;
  readonly env?: NodeJS.ProcessEnv;
  readonly clock?: () => Date;
  /** How often the hub is told this site is alive (default: the protocol's 60 s). */
  readonly heartbeatMs?: number;
  /** Who the audit log names for updates sent (default: the OS user running this process). */
  readonly actor?: string;
}

/**
 * How long a task waits before it is tried again after the hub and this site turned out to run releases
 * that cannot work together: an upgrade at one end (and a restart, at the site) is what changes that,
 * so the operator's log gets the sentence every quarter hour, not every rescan.
 */
export const PROTOCOL_MISMATCH_RESCAN_MS = 15 * 60 * 1000;

export interface FederationRunSummary {
  readonly tasks: TaskOutcome[];
}

export async function runFederation(options: RunFederationOptions): Promise<FederationRunSummary> {
  const emit = options.onEvent ?? (() => undefined);
  const enrollment = loadEnrollment(options.siteDir);
  const agent = hubAgent(enrollment.hubUrl, options.env);
  const client = HubClient.fromEnrollment(enrollment, agent ? { agent } : {});
  const site = openSite(options.siteDir);
  const queue = new SerialQueue();
  let working = 0; // training or evaluating now: the heartbeat says "training"
  const problems = new Set<string>(); // tasks whose runner failed: the heartbeat says "error"
  const lane = <T>(work: () => Promise<T>): Promise<T> =>
    queue.run(async () => {
      working += 1;
      try {
        return await work();
      } finally {
        working -= 1;
      }
    });
  const running = new Map<string, Promise<void>>();
  const ended = new Map<string, TaskOutcome>();
  const retryAt = new Map<string, number>();
  let wake: () => void = () => undefined;
  const heartbeat = startLoopHeartbeat({
    client,
    db: site.database,
    signal: options.signal,
    facts: () => ({ training: working > 0, failing: problems.size > 0, cannotTakePart: problems }),
    ...(options.heartbeatMs ? { intervalMs: options.heartbeatMs } : {}),
  });
  try {
    for (;;) {
      if (options.signal.aborted) break;
      const approvals = listApprovals(site.database);
      for (const approval of approvals) {
        if (running.has(approval.taskId) || ended.has(approval.taskId)) continue;
        if ((retryAt.get(approval.taskId) ?? 0) > Date.now()) continue;
        problems.delete(approval.taskId);
        const runner = runTask(
          {
            site,
            client,
            tasksRoot: federationPaths(options.siteDir).tasks,
            signal: options.signal,
            emit,
            lane,
            waitSeconds: options.waitSeconds ?? 25,
            clock: options.clock ?? (() => new Date()),
            ...(options.backend ? { backend: options.backend } : {}),
            ...(options.threads ? { threads: options.threads } : {}),
            ...(options.chunkBytes ? { chunkBytes: options.chunkBytes } : {}),
            ...(options.actor ? { actor: options.actor } : {}),
            retry: {
              signal: options.signal,
              baseMs: options.retryBaseMs ?? 1000,
              maxMs: options.retryMaxMs ?? 60_000,
              onRetry: (error, attempt, delayMs) =>
                emit({
                  type: 'retrying',
                  taskId: approval.taskId,
                  attempt,
                  delayMs,
                  message: explainHubError(error, enrollment.hubUrl).message,
                }),
            },
          },
          approval,
        ).then(
          (outcome) => {
            ended.set(approval.taskId, outcome);
          },
          (error: unknown) => {
            if (options.signal.aborted) return;
            // Not transient (not approved as defined now, a task this site cannot train): say so, look again later.
            emit({
              type: 'problem',
              taskId: approval.taskId,
              message: explainHubError(error, enrollment.hubUrl).message,
            });
            const wait = isProtocolMismatch(error)
              ? PROTOCOL_MISMATCH_RESCAN_MS
              : (options.rescanMs ?? 30_000);
            retryAt.set(approval.taskId, Date.now() + wait);
            problems.add(approval.taskId);
          },
        );
        running.set(
          approval.taskId,
          runner.finally(() => {
            running.delete(approval.taskId);
            wake();
          }),
        );
      }
      if (options.untilDone && approvals.length > 0 && approvals.every((a) => ended.has(a.taskId))) break;
      if (options.untilDone && approvals.length === 0) {
        throw new SyncError(
          'not-approved',
          'No task is approved at this site, so there is nothing to run; see radfed site approve.',
        );
      }
      await Promise.race([
        sleep(options.rescanMs ?? 30_000, options.signal).catch(() => undefined),
        new Promise<void>((resolve) => {
          wake = resolve;
        }),
      ]);
    }
    await Promise.allSettled(running.values());
    return { tasks: [...ended.values()] };
  } finally {
    heartbeat.stop();
    await Promise.allSettled(running.values());
    agent?.destroy();
    site.database.close();
  }
}
