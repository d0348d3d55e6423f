// Turns the federation loop's events into what the Training page shows: per task, the round and its
// state, where training is (with images per second and the time left), the loss per epoch, the
// metrics per round, and a short log in words. Pure: the clock is passed in.
import type { FederationProgress, TaskProgress } from '../../../shared/ipc/index.ts';
import { describeSyncEvent, type SyncEvent } from '../federation/index.ts';

const LOG_LINES = 40;

interface Speed {
  round: number;
  /** Training images per batch, estimated from the round's image count and batches per epoch. */
  imagesPerBatch: number | null;
  startedAt: number | null;
  batchesAtStart: number;
}

export class FederationProgressTracker {
  readonly #tasks = new Map<string, TaskProgress>();
  readonly #speed = new Map<string, Speed>();
  readonly #epochLosses = new Map<string, number[]>();
  readonly #trainImages = new Map<string, number>();
  /** The trainer's memory note of each task's current round, shown beside its progress. */
  readonly #memoryNotes = new Map<string, { round: number; note: string }>();
  readonly #log: FederationProgress['log'] = [];
  #problem: string | null = null;
  #hub: FederationProgress['hub'] = 'unknown';
  #hubProblem: string | null = null;
  #hubHeardAt = 0;

  constructor(private readonly now: () => number = Date.now) {}

  record(event: SyncEvent): void {
    const line = describeSyncEvent(event, (taskId) => this.#taskName(taskId, event));
    if (line !== null) {
      this.#log.push({ at: new Date(this.now()).toISOString(), text: line });
      if (this.#log.length > LOG_LINES) this.#log.splice(0, this.#log.length - LOG_LINES);
    }
    if (event.type === 'problem') this.#problem = event.message;
    // The loop retries only what may pass (the network, a restarting hub): the hub is away until it answers.
    if (event.type === 'retrying') this.noteHub(false, event.message);
    else if (event.type !== 'problem' && event.type !== 'training') this.noteHub(true);
    if (event.taskId === null) return;
    const task = this.#task(event.taskId, event.type === 'task-started' ? event.name : undefined);
    this.#apply(task, event);
  }

  /** A failure of the loop itself (not of one task), in words. */
  noteProblem(message: string | null): void {
    this.#problem = message;
  }

  /** Whether the hub answered a request (the loop's, or a check of the service's), with why not in words. */
  noteHub(reachable: boolean, problem: string | null = null): void {
    this.#hub = reachable ? 'reachable' : 'unreachable';
    this.#hubProblem = reachable ? null : problem;
    this.#hubHeardAt = this.now();
  }

  /** Milliseconds since the hub's reachability was last learnt (Infinity when never). */
  sinceHubHeard(): number {
    return this.#hubHeardAt === 0 ? Infinity : this.now() - this.#hubHeardAt;
  }

  /** Back to "unknown" (the loop was paused or restarted: what it knew of the hub is old). */
  forgetHub(): void {
    this.#hub = 'unknown';
    this.#hubProblem = null;
    this.#hubHeardAt = 0;
  }

  snapshot(state: { enrolled: boolean; running: boolean; pausedByUser: boolean }): FederationProgress {
    return structuredClone({
      ...state,
      hub: this.#hub,
      hubProblem: this.#hubProblem,
      problem: this.#problem,
      tasks: [...this.#tasks.values()],
      log: this.#log,
    });
  }

  /** A task's name once the loop has announced it (a task the page has not met is named by its id). */
  #taskName(taskId: string, event: SyncEvent): string | undefined {
    if (event.type === 'task-started' && event.taskId === taskId) return event.name;
    const task = this.#tasks.get(taskId);
    return task && task.name !== taskId ? task.name : undefined;
  }

  #task(taskId: string, name?: string): TaskProgress {
    let task = this.#tasks.get(taskId);
    if (!task) {
      task = {
        taskId,
        name: name ?? taskId,
        round: null,
        roundState: null,
        acceptedUpdates: 0,
        quorum: 0,
        phase: 'waiting',
        training: null,
        epochs: [],
        rounds: [],
        roundsCompleted: 0,
        ended: null,
      };
      this.#tasks.set(taskId, task);
    }
    if (name) task.name = name;
    return task;
  }

  #roundPoint(task: TaskProgress, round: number) {
    let point = task.rounds.find((r) => r.round === round);
    if (!point) {
      point = { round, local: null, global: null };
      task.rounds.push(point);
      task.rounds.sort((a, b) => a.round - b.round);
    }
    return point;
  }

  #apply(task: TaskProgress, event: SyncEvent): void {
    const key = task.taskId;
    switch (event.type) {
      case 'task-started':
        task.ended = null;
        this.#problem = null;
        return;
      case 'round-state':
        task.round = event.round;
        task.roundState = event.state;
        task.acceptedUpdates = event.accepted;
        task.quorum = event.quorum;
        return;
      case 'round-started':
        task.round = event.round;
        task.phase = 'training';
        this.#trainImages.set(key, event.train);
        this.#speed.delete(key);
        this.#epochLosses.delete(key);
        task.training = null;
        return;
      case 'training':
        this.#training(task, event);
        return;
      case 'training-memory':
        this.#memoryNotes.set(key, { round: event.round, note: event.note });
        return;
      case 'trained': {
        this.#closeEpoch(task, event.round);
        task.phase = 'uploading';
        task.training = null;
        const v = event.validation;
        this.#roundPoint(task, event.round).local = { loss: v.loss, accuracy: v.accuracy, auc: v.auc };
        return;
      }
      case 'uploading':
        task.phase = 'uploading';
        return;
      case 'submitted':
        task.phase = 'waiting';
        return;
      case 'refused':
      case 'missed':
        task.phase = 'waiting';
        return;
      case 'round-published':
        task.phase = 'evaluating';
        task.roundsCompleted += 1;
        return;
      case 'evaluated': {
        const m = event.metrics;
        this.#roundPoint(task, event.round).global = {
          version: event.version,
          loss: m.loss,
          accuracy: m.accuracy,
          auc: m.auc,
        };
        task.phase = 'waiting';
        return;
      }
      case 'task-ended':
        task.phase = 'ended';
        task.training = null;
        task.ended = { state: event.state, reason: event.reason };
        return;
      case 'problem':
      case 'retrying':
      case 'initial-model':
      case 'model-downloaded':
        return;
    }
  }

  #training(task: TaskProgress, event: Extract<SyncEvent, { type: 'training' }>): void {
    const key = task.taskId;
    const previous = task.training;
    const memory = this.#memoryNotes.get(key);
    // A new epoch began: the one before is complete.
    if (previous && previous.round === event.round && event.epoch !== previous.epoch) {
      this.#closeEpoch(task, event.round);
    }
    const losses = this.#epochLosses.get(key) ?? [];
    if (Number.isFinite(event.loss)) losses.push(event.loss);
    this.#epochLosses.set(key, losses);

    const done = (event.epoch - 1) * event.batches + event.batch;
    const total = event.epochs * event.batches;
    let speed = this.#speed.get(key);
    if (!speed || speed.round !== event.round) {
      const images = this.#trainImages.get(key);
      speed = {
        round: event.round,
        imagesPerBatch: images && event.batches > 0 ? images / event.batches : null,
        startedAt: null,
        batchesAtStart: done,
      };
      this.#speed.set(key, speed);
    }
    // Timing starts at the first batch seen, so model loading does not count against the speed.
    const now = this.now();
    if (speed.startedAt === null) speed.startedAt = now;
    const seconds = (now - speed.startedAt) / 1000;
    const batchesTimed = done - speed.batchesAtStart;
    const perBatch = batchesTimed > 0 && seconds > 0 ? seconds / batchesTimed : null;
    task.phase = 'training';
    task.training = {
      round: event.round,
      epoch: event.epoch,
      epochs: event.epochs,
      batch: event.batch,
      batches: event.batches,
      imagesPerSecond:
        perBatch !== null && speed.imagesPerBatch !== null ? speed.imagesPerBatch / perBatch : null,
      secondsLeft: perBatch !== null ? Math.max(0, total - done) * perBatch : null,
      memoryNote: memory?.round === event.round ? memory.note : null,
    };
  }

  #closeEpoch(task: TaskProgress, round: number): void {
    const losses = this.#epochLosses.get(task.taskId) ?? [];
    const epoch = task.training?.round === round ? task.training.epoch : null;
    this.#epochLosses.set(task.taskId, []);
    if (epoch === null || losses.length === 0) return;
    if (task.epochs.some((p) => p.round === round && p.epoch === epoch)) return;
    const loss = losses.reduce((sum, value) => sum + value, 0) / losses.length;
    task.epochs.push({ round, epoch, loss });
  }
}
