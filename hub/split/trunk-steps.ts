// One task's trunk as its sites' sessions share it: one step at a time (the trunk's backward pass
// replays its forward pass, so no other site's step may change the trunk in between), taken in the
// order the sites asked, each held from a site's activations to its gradient and dropped when that site
// goes quiet for longer than `stepTimeoutMs`, so one vanished site does not stop the others. After each
// step the trunk's checkpoint is written (atomically) before the site hears its answer: a hub killed at
// any moment restarts with every answered step applied exactly once. A write that fails (a full or
// read-only disk, the database down) rolls the trunk back to its last written checkpoint and tells the
// site to start the step again, so the step is applied once, when it can be saved, and never answered
// unsaved; the steps taken on the trunk after it, whose checkpoints hold it, are undone with it.
import { SerialQueue } from '../../shared/serial-queue.ts';
import type { SplitTrunkEngine } from '../../shared/federation/split/index.ts';
import { SplitSessionError } from './split-session-error.ts';

export interface TrunkStepsOptions {
  readonly engine: SplitTrunkEngine;
  /** Writes the checkpoint durably; the step's answer waits for it. */
  readonly persist: (checkpoint: Uint8Array) => Promise<void>;
  /** How long a site may take from its activations to its gradient before its step is dropped. */
  readonly stepTimeoutMs: number;
  /**
   * Write the checkpoint after every this many steps (default 1). With 1, every step a site was
   * answered for survives a kill; with k, a kill loses up to k − 1 answered steps of the trunk's
   * training (their sites start those steps again on the restored trunk: none is applied twice).
   */
  readonly checkpointEverySteps?: number;
  /** The trunk's last written checkpoint (or its state as served): what a failed write rolls back to. */
  readonly durable: Uint8Array;
  /** Told of a checkpoint write that failed (the hub's log: its sites only hear to start the step again). */
  readonly onCheckpointFailed?: (error: unknown) => void;
}

interface Holder {
  readonly session: string;
  step: number;
  timer: NodeJS.Timeout;
}

interface Waiter {
  readonly session: string;
  readonly grant: () => void;
  readonly refuse: (error: Error) => void;
}

export class TrunkSteps {
  private holder: Holder | null = null;
  private readonly waiting: Waiter[] = [];
  /** Every call into the engine, one after another: its methods are asynchronous. */
  private readonly engineCalls = new SerialQueue();
  /** Checkpoint writes in step order, so an older one never lands after a newer one. */
  private readonly writes = new SerialQueue();
  /** The checkpoint last written: the trunk's state that survives a kill. */
  private durable: Uint8Array;
  /** Counts roll-backs: a checkpoint taken before the latest one holds an undone step and is not written. */
  private rollBacks = 0;

  constructor(private readonly options: TrunkStepsOptions) {
    this.durable = options.durable;
  }

  get engine(): SplitTrunkEngine {
    return this.options.engine;
  }

  /** Sessions waiting for the trunk (the one holding it not counted). */
  get queued(): number {
    return this.waiting.length;
  }

  /** The trunk's output for `step` of `session`, once the trunk is free for it. */
  async forward(session: string, step: number, frame: Uint8Array): Promise<Uint8Array> {
    if (step <= this.engine.finishedStep(session)) {
      throw new SplitSessionError(
        'step-already-applied',
        `Step ${step} of this session was already applied to the trunk; a session's steps only go forward.`,
        'never',
      );
    }
    if (this.holder?.session !== session) await this.acquire(session);
    const holder = this.holder!;
    holder.step = step;
    this.restartTimer(holder);
    try {
      return await this.engineCalls.run(() => this.engine.forwardTrunk(frame));
    } catch (error) {
      this.release(session);
      throw error;
    }
  }

  /**
   * The trunk's output in inference on a site's held-back images: it needs no hold on the trunk (no
   * step is opened, nothing is updated), only its turn among the engine's calls.
   */
  evaluate(frame: Uint8Array): Promise<Uint8Array> {
    return this.engineCalls.run(() => this.engine.evaluateTrunk(frame));
  }

  /**
   * The gradient at cut 1 for the session's open step, after the trunk is updated and its checkpoint
   * written. A gradient for the step the session last finished gets the stored answer again.
   */
  async backward(session: string, step: number, gradient: Uint8Array): Promise<Uint8Array> {
    const holds = this.holder?.session === session && this.holder.step === step;
    if (!holds) {
      if (step === this.engine.finishedStep(session)) {
        // Its answer goes out again only once that step's checkpoint is written (and if its write
        // failed, the step was rolled back: it is no longer finished).
        await this.writes.run(() => undefined);
        if (step === this.engine.finishedStep(session))
          return (await this.engineCalls.run(() => this.engine.backwardTrunk(gradient))).frame;
      }
      throw new SplitSessionError(
        'step-not-open',
        `The trunk has no open step ${step} for this session (the hub restarted, or the step waited too long); send its activations again.`,
        'restart-step',
      );
    }
    return this.applyHeldStep(session, () => this.engine.backwardTrunk(gradient));
  }

  /**
   * Label sharing: a whole step in one exchange (labels and activations at cut 1 in, the gradient at
   * cut 1 out), applied once and checkpointed before the answer goes, as `backward` does. The step the
   * session last finished, sent again, gets its stored answer once its checkpoint is written.
   */
  async labelledStep(session: string, step: number, message: Uint8Array): Promise<Uint8Array> {
    const labelledStep = this.engine.labelledStep?.bind(this.engine);
    if (!labelledStep) {
      throw new SplitSessionError(
        'wrong-mode',
        'This task keeps the head and the labels at each site: its steps send activations, then the gradient at cut 2.',
        'never',
      );
    }
    const finished = this.engine.finishedStep(session);
    if (step === finished) {
      await this.writes.run(() => undefined);
      // Unless its write failed and rolled it back: then it is applied again below, once.
      if (step === this.engine.finishedStep(session))
        return (await this.engineCalls.run(() => labelledStep(message))).frame;
    }
    if (step < finished) {
      throw new SplitSessionError(
        'step-already-applied',
        `Step ${step} of this session was already applied to the trunk; a session's steps only go forward.`,
        'never',
      );
    }
    // Held like a U-shaped step, so the steps of a task's sites take the trunk in the order they asked.
    if (this.holder?.session !== session) await this.acquire(session);
    return this.applyHeldStep(session, () => labelledStep(message));
  }

  /**
   * Ends the step `session` holds the trunk for: `apply` applies it (one engine call), its checkpoint
   * is taken when one is due, the trunk is let go, and the checkpoint is written before the answer goes.
   */
  private async applyHeldStep(
    session: string,
    apply: () => Promise<{ frame: Uint8Array }>,
  ): Promise<Uint8Array> {
    let done: { answer: Uint8Array; checkpoint: Uint8Array | null; rollBacks: number };
    try {
      done = await this.engineCalls.run(async () => {
        const { frame } = await apply();
        const every = this.options.checkpointEverySteps ?? 1;
        const due = this.engine.appliedSteps % every === 0;
        const checkpoint = due ? await this.engine.checkpoint() : null;
        return { answer: frame, checkpoint, rollBacks: this.rollBacks };
      });
    } finally {
      // The trunk is free for the next site's step while this one's checkpoint is written: the bytes
      // are a snapshot taken before any other step could change the trunk.
      this.release(session);
    }
    const { answer, checkpoint, rollBacks } = done;
    if (checkpoint) await this.writes.run(() => this.persist(checkpoint, rollBacks));
    return answer;
  }

  /** The session's site went away: its open step is dropped and its place in the queue given up. */
  abandon(session: string): void {
    const index = this.waiting.findIndex((w) => w.session === session);
    if (index >= 0) {
      const [waiter] = this.waiting.splice(index, 1);
      waiter!.refuse(
        new SplitSessionError('session-closed', 'The session closed while it waited for the trunk.', 'again'),
      );
    }
    if (this.holder?.session === session) {
      void this.engineCalls.run(() => this.engine.abandon(session));
      this.release(session);
    }
  }

  /**
   * Writes a step's checkpoint, taken when `rollBacks` roll-backs had happened. If a roll-back came
   * since, the checkpoint holds an undone step and is not written; if the write fails, the trunk goes
   * back to the last written checkpoint. Either way the step's site is told to start the step again.
   */
  private async persist(checkpoint: Uint8Array, rollBacks: number): Promise<void> {
    if (rollBacks !== this.rollBacks) throw stepUndone();
    try {
      await this.options.persist(checkpoint);
      this.durable = checkpoint;
    } catch (error) {
      this.options.onCheckpointFailed?.(error);
      // Every step since the last written checkpoint is in the trunk's memory only: undo them all. The
      // restore drops the engine's open step too (its forward pass ran on the undone trunk): its site,
      // which keeps its hold, is told to send that step's activations again when its gradient comes.
      await this.engineCalls.run(() => {
        this.rollBacks += 1;
        this.engine.restore(this.durable);
      });
      if (error instanceof SplitSessionError) throw error;
      throw new SplitSessionError(
        'checkpoint-failed',
        'The hub could not save the trunk after this step, so it undid the step; send its activations again.',
        'restart-step',
      );
    }
  }

  close(): void {
    if (this.holder) clearTimeout(this.holder.timer);
    this.holder = null;
    this.waiting.length = 0;
  }

  private acquire(session: string): Promise<void> {
    if (!this.holder) {
      this.holder = { session, step: -1, timer: this.idleTimer(session) };
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      this.waiting.push({
        session,
        refuse: reject,
        grant: () => {
          this.holder = { session, step: -1, timer: this.idleTimer(session) };
          resolve();
        },
      });
    });
  }

  private release(session: string): void {
    if (this.holder?.session !== session) return;
    clearTimeout(this.holder.timer);
    this.holder = null;
    this.waiting.shift()?.grant();
  }

  private restartTimer(holder: Holder): void {
    clearTimeout(holder.timer);
    holder.timer = this.idleTimer(holder.session);
  }

  private idleTimer(session: string): NodeJS.Timeout {
    const timer = setTimeout(() => this.abandon(session), this.options.stepTimeoutMs);
    timer.unref();
    return timer;
  }
}

function stepUndone(): SplitSessionError {
  return new SplitSessionError(
    'checkpoint-failed',
    'The hub could not save the trunk after an earlier step and went back to its last saved state, which this ' +
      'step was taken after; send its activations again.',
    'restart-step',
  );
}
