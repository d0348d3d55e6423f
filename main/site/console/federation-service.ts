// The site's federation, run inside the UI's agent: the hub's tasks in plain words, approval (the same
// review and record as `radfed site approve`), declining, and the loop of `radfed site run` that takes
// part in approved tasks, with its events kept as progress for the Training page.
import type { Logger } from 'pino';
import type { FederationProgress, FederationTaskItem } from '../../../shared/ipc/index.ts';
import { HubClient } from '../../../shared/node/federation/index.ts';
import { AuditLog, commandActor } from '../audit/index.ts';
import {
  describeBudgetLimit,
  explainHubError,
  hubAgent,
  isEnrolled,
  listApprovals,
  loadEnrollment,
  recordReviewedApproval,
  reviewTask,
  runFederation,
  sendSiteHeartbeat,
  withdrawApproval,
  type SyncEvent,
  type TaskReview,
} from '../federation/index.ts';
import { TaskStore } from '../cohort/index.ts';
import { openSite } from '../store/index.ts';
import type { BackendChoice } from '../train/index.ts';
import { FederationProgressTracker } from './federation-progress.ts';
import { safeMessage } from '../../../shared/log-safety.ts';

export interface FederationServiceOptions {
  readonly siteDir: string;
  /** Training threads (default: all cores). */
  readonly threads?: number;
  readonly backend?: BackendChoice;
  /** Seconds a long-poll waits at the hub (default 10, so that pausing is quick). */
  readonly waitSeconds?: number;
  /** How often approvals are read again (default 2 s: an approval here starts work at once). */
  readonly rescanMs?: number;
  /** Who approvals, declines and updates sent are recorded as, in the audit log (read when used). */
  readonly actor?: string | (() => string);
  readonly now?: () => number;
  /** Every event of the federation loop, after the progress tracker has it (the desktop tray listens). */
  readonly onEvent?: (event: SyncEvent) => void;
  /** Where a failure that is not one of ours is logged (the screen says only that it is in the log). */
  readonly logger?: Pick<Logger, 'error'>;
}

export class FederationService {
  readonly #options: FederationServiceOptions;
  readonly #tracker: FederationProgressTracker;
  #controller: AbortController | null = null;
  #loop: Promise<void> | null = null;
  #pausedByUser = false;
  #probing = false;
  /** While paused the loop (and its heartbeat) is stopped: this says "paused" to the hub instead. */
  #pausedHeartbeat: ReturnType<typeof setInterval> | null = null;

  constructor(options: FederationServiceOptions) {
    this.#options = options;
    this.#tracker = new FederationProgressTracker(options.now);
  }

  #actor(): string {
    const actor = this.#options.actor;
    return typeof actor === 'function' ? actor() : (actor ?? commandActor());
  }

  get enrolled(): boolean {
    return isEnrolled(this.#options.siteDir);
  }

  get running(): boolean {
    return this.#loop !== null;
  }

  progress(): FederationProgress {
    // With no round to follow the loop is silent; ask the hub now and then, so "connected" stays true.
    if (this.running && this.#tracker.sinceHubHeard() > HUB_CHECK_MS) void this.#checkHub();
    return this.#tracker.snapshot({
      enrolled: this.enrolled,
      running: this.running,
      pausedByUser: this.#pausedByUser,
    });
  }

  async #checkHub(): Promise<void> {
    if (this.#probing) return;
    this.#probing = true;
    try {
      await this.#listHubTaskIds();
    } catch {
      // #listHubTaskIds noted it.
    } finally {
      this.#probing = false;
    }
  }

  async #listHubTaskIds(): Promise<string[]> {
    const enrollment = loadEnrollment(this.#options.siteDir);
    const agent = hubAgent(enrollment.hubUrl);
    try {
      const client = HubClient.fromEnrollment(enrollment, agent ? { agent } : {});
      const ids = (await client.listTasks()).map((task) => task.id);
      this.#tracker.noteHub(true);
      return ids;
    } catch (error) {
      const explained = explainHubError(error, enrollment.hubUrl);
      this.#tracker.noteHub(false, explained.message);
      throw explained;
    } finally {
      agent?.destroy();
    }
  }

  /** Starts taking part in approved tasks; does nothing when running or not enrolled. */
  start(): FederationProgress {
    if (this.#loop || !this.enrolled) return this.progress();
    const controller = new AbortController();
    this.#controller = controller;
    this.#pausedByUser = false;
    this.#stopPausedHeartbeat();
    this.#tracker.noteProblem(null);
    this.#tracker.forgetHub();
    const { siteDir, threads, backend } = this.#options;
    this.#loop = runFederation({
      siteDir,
      signal: controller.signal,
      onEvent: (event) => {
        this.#tracker.record(event);
        this.#options.onEvent?.(event);
      },
      waitSeconds: this.#options.waitSeconds ?? 10,
      actor: this.#actor(),
      rescanMs: this.#options.rescanMs ?? 2000,
      ...(threads ? { threads } : {}),
      ...(backend ? { backend } : {}),
    }).then(
      () => undefined,
      (error: unknown) => {
        if (controller.signal.aborted) return;
        // Only our own sentences are shown: another error's message may quote a path (log-safety.ts).
        const sentence = safeMessage(error);
        if (sentence === null) this.#options.logger?.error({ err: error }, 'federation stopped');
        this.#tracker.noteProblem(
          sentence ??
            'The federation stopped after an unexpected problem; the details are in the log. Start it again.',
        );
      },
    );
    void this.#loop.finally(() => {
      if (this.#controller === controller) {
        this.#loop = null;
        this.#controller = null;
      }
    });
    return this.progress();
  }

  /** Pauses: training stops at once and resumes from its checkpoint at the next start. */
  async stop(): Promise<FederationProgress> {
    this.#stopPausedHeartbeat();
    const loop = this.#loop;
    this.#controller?.abort();
    await loop;
    this.#loop = null;
    this.#controller = null;
    return this.progress();
  }

  /** Pause (by the person: the status says "paused by you") or take part again. */
  async setRunning(running: boolean): Promise<FederationProgress> {
    if (running) return this.start();
    const progress = await this.stop();
    this.#pausedByUser = this.enrolled;
    if (this.#pausedByUser) this.#startPausedHeartbeat();
    return { ...progress, pausedByUser: this.#pausedByUser };
  }

  /** Tells the hub "paused" now and about once a minute, so the coordinator sees a paused site, not a gone one. */
  #startPausedHeartbeat(): void {
    this.#stopPausedHeartbeat();
    const beat = () =>
      sendSiteHeartbeat(this.#options.siteDir, 'paused').then(
        () => this.#tracker.noteHub(true),
        (error: unknown) => {
          const hubUrl = loadEnrollment(this.#options.siteDir).hubUrl;
          this.#tracker.noteHub(false, explainHubError(error, hubUrl).message);
        },
      );
    void beat();
    this.#pausedHeartbeat = setInterval(() => void beat(), PAUSED_HEARTBEAT_MS);
    this.#pausedHeartbeat.unref();
  }

  #stopPausedHeartbeat(): void {
    if (this.#pausedHeartbeat) clearInterval(this.#pausedHeartbeat);
    this.#pausedHeartbeat = null;
  }

  async tasks(): Promise<FederationTaskItem[]> {
    const ids = await this.#listHubTaskIds();
    const items: FederationTaskItem[] = [];
    for (const id of ids) items.push(this.#item(await this.#review(id)));
    return items;
  }

  /** Reviews the task as the CLI does and records the approval; the loop picks it up within seconds. */
  async approve(taskId: string): Promise<FederationTaskItem> {
    const { siteDir } = this.#options;
    const review = await this.#review(taskId);
    recordReviewedApproval(siteDir, review, { actor: this.#actor() });
    return this.#item(review);
  }

  /**
   * Withdraws this site's approval (audit entry): a running loop is restarted without it, so the site
   * stops taking part in that task at once; the others resume from their checkpoints.
   */
  async withdraw(taskId: string): Promise<FederationTaskItem> {
    const site = openSite(this.#options.siteDir);
    try {
      withdrawApproval(site.database, { taskId, actor: this.#actor() });
    } finally {
      site.database.close();
    }
    if (this.running) {
      await this.stop();
      this.start();
    }
    return this.#item(await this.#review(taskId));
  }

  /** reviewTask with the site task that fits: the default when its labels match, else one that does. */
  async #review(taskId: string): Promise<TaskReview> {
    const { siteDir } = this.#options;
    const first = await reviewTask(siteDir, taskId);
    if (first.cohortTaskId !== null) return first;
    const labels = first.view.definition.labels.map((label) => label.toLowerCase());
    const site = openSite(siteDir);
    let match: string | undefined;
    try {
      match = new TaskStore(site.database)
        .list()
        .find(
          ({ definition }) =>
            definition.labels.length === labels.length &&
            definition.labels.every((label, i) => label.toLowerCase() === labels[i]),
        )?.definition.id;
    } finally {
      site.database.close();
    }
    return match === undefined ? first : reviewTask(siteDir, taskId, { cohortTaskId: match });
  }

  /** Records that the operator declined the task (audit log); nothing is sent to the hub. */
  async decline(taskId: string): Promise<FederationTaskItem> {
    const { siteDir } = this.#options;
    const review = await reviewTask(siteDir, taskId);
    const site = openSite(siteDir);
    try {
      new AuditLog(site.database).append({
        type: 'federation.task-declined',
        actor: this.#actor(),
        detail: { taskId: review.view.id, taskName: review.view.definition.name },
      });
    } finally {
      site.database.close();
    }
    return this.#item(review);
  }

  #item(review: TaskReview): FederationTaskItem {
    const { view } = review;
    const site = openSite(this.#options.siteDir);
    try {
      const approval = listApprovals(site.database).find((a) => a.taskId === view.id) ?? null;
      const declined = new AuditLog(site.database)
        .list({ type: 'federation.task-declined' })
        .filter((entry) => entry.detail.taskId === view.id)
        .at(-1);
      return {
        id: view.id,
        name: view.definition.name,
        state: view.state,
        rounds: view.definition.rounds,
        labels: [...view.definition.labels],
        approval: approval
          ? { at: approval.approvedAt, by: approval.approvedBy, cohortTaskId: approval.cohortTaskId }
          : null,
        declinedAt: declined && (!approval || declined.time > approval.approvedAt) ? declined.time : null,
        summary: review.summary.map(screenLine),
        problem: review.cohortTaskId === null ? plainProblem(review) : null,
        ...(review.privacyProblemInWords ? { privacyRefusal: review.privacyProblemInWords } : {}),
        privacyBudget: describeBudgetLimit(view.definition),
      };
    } finally {
      site.database.close();
    }
  }
}

/** Seconds between checks of the hub while the loop has nothing to ask it (it asks during rounds). */
const HUB_CHECK_MS = 20_000;
/** How often a paused site says so to the hub (the hub's heartbeat interval). */
const PAUSED_HEARTBEAT_MS = 60_000;

/** describeTask's lines are the CLI's too: on the screen a command line becomes the button to press. */
function screenLine(line: string): string {
  return /\bradfed site\b/.test(line)
    ? line.replace(/:? ?add one \(radfed site task add\)/, ': press "Set up from this task" to make one,')
    : line;
}

/** Why a task cannot be approved, for the screen: no command lines, no internal ids. */
function plainProblem(review: TaskReview): string {
  const message = review.problem ?? '';
  if (/has no task|none is the default|labels are/i.test(message) || message === '') {
    const labels = review.view.definition.labels.join(', ');
    return (
      `this site has no task with the labels ${labels} (in that order). ` +
      'Press "Set up from this task" to make one, then import its labels on the Training data page.'
    );
  }
  return message;
}
