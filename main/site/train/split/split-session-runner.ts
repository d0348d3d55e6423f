// Runs a site's split-learning steps over its session with the hub, through dropped connections and
// hub restarts. A step's frames are kept until the step ends, so whatever broke, the site sends the
// same bytes again: the gradient at cut 2 first when its head has already stepped (the hub answers a
// step it finished with its stored answer, and never applies it twice), else the activations again
// (the hub, restarted or having dropped the step, recomputes the same trunk output, and the site's head
// answers it with its kept answer instead of stepping twice).
import { SplitConnectionError } from '../../../../shared/node/split/index.ts';
import type { tf } from '../backend/index.ts';
import type { HeadStepResult, SplitSite } from './split-site.ts';

/** One connection to the hub: a frame up, its answer down. */
export interface SplitExchange {
  exchange(frame: Uint8Array): Promise<Uint8Array>;
  close(): void;
}

export interface SplitSessionRunnerOptions {
  readonly site: SplitSite;
  /** Opens a connection (a new one after a loss). */
  readonly connect: () => Promise<SplitExchange>;
  /** How long one step may keep failing before the session gives up (default 5 min). */
  readonly giveUpAfterMs?: number;
  /** Told before each wait, with what the site waits for in plain words (the round's 'retrying' event). */
  readonly onWait?: (wait: SplitWait) => void;
}

export interface SplitWait {
  readonly step: number;
  readonly attempt: number;
  readonly delayMs: number;
  readonly message: string;
}

export interface StepOutcome {
  readonly loss: number;
  /** From the bottom's forward pass to the bottom's update, retries included. */
  readonly milliseconds: number;
  readonly retries: number;
}

export class SplitSessionRunner {
  private connection: SplitExchange | null = null;
  retries = 0;

  constructor(private readonly options: SplitSessionRunnerOptions) {}

  async step(step: number, batch: number, images: tf.Tensor4D, labels: Int32Array): Promise<StepOutcome> {
    const started = performance.now();
    const { site } = this.options;
    if (site.headAtHub) return this.labelledStep(step, batch, images, labels, started);
    const activations = await site.forwardBottom(step, batch, images);
    let head: HeadStepResult | null = null;
    let forwardAgain = true;
    const { result: loss, retries } = await this.retrying(
      step,
      async (connection) => {
        if (forwardAgain || !head) {
          head = await site.headStep(await connection.exchange(activations), labels);
          forwardAgain = false;
        }
        await site.backwardBottom(await connection.exchange(head.frame));
        return head.loss;
      },
      (error) => {
        if (error.retry === 'restart-step') forwardAgain = true;
      },
    );
    this.retries += retries;
    return { loss, milliseconds: performance.now() - started, retries };
  }

  /**
   * Label sharing: one exchange per step (labels and activations up, the gradient at cut 1 down), the
   * same message sent again whatever broke: the hub answers a step it finished with its stored answer.
   * The loss is the hub's (it holds the head), so the site's outcome has none (NaN).
   */
  private async labelledStep(
    step: number,
    batch: number,
    images: tf.Tensor4D,
    labels: Int32Array,
    started: number,
  ): Promise<StepOutcome> {
    const { site } = this.options;
    const message = await site.labelledStep(step, batch, images, labels);
    const { retries } = await this.retrying(step, async (connection) =>
      site.backwardBottom(await connection.exchange(message)),
    );
    this.retries += retries;
    return { loss: Number.NaN, milliseconds: performance.now() - started, retries };
  }

  /**
   * The trunk's output in inference on `atCut1` (held-back images' activations at cut 1, kept by the
   * caller) through the session's evaluation exchange, retried through dropped connections like a step.
   */
  async evaluateTrunk(step: number, batch: number, atCut1: tf.Tensor): Promise<tf.Tensor> {
    const { site } = this.options;
    const frame = await site.evaluationFrame(step, batch, atCut1);
    const { result } = await this.retrying(step, async (connection) =>
      site.readEvaluation(await connection.exchange(frame), { step, images: atCut1.shape[0]! }),
    );
    return result;
  }

  /**
   * Runs `attempt` over the session's connection until it succeeds. A refusal that may be retried drops
   * the connection if it was lost, is told to `onRetry`, and is waited out, until the step has kept
   * failing for the give-up time; any other error ends it. Returns the result and the retries it took.
   */
  private async retrying<T>(
    step: number,
    attempt: (connection: SplitExchange) => Promise<T>,
    onRetry?: (error: SplitConnectionError) => void,
  ): Promise<{ result: T; retries: number }> {
    let retries = 0;
    const giveUpAt = Date.now() + (this.options.giveUpAfterMs ?? 300_000);
    for (;;) {
      try {
        return { result: await attempt(await this.connected()), retries };
      } catch (error) {
        if (!(error instanceof SplitConnectionError) || error.retry === 'never' || Date.now() > giveUpAt) {
          throw error;
        }
        if (error.connectionLost) this.drop();
        onRetry?.(error);
        retries += 1;
        await this.wait(step, retries, error);
      }
    }
  }

  close(): void {
    this.drop();
  }

  private async wait(step: number, attempt: number, error: SplitConnectionError): Promise<void> {
    // Backoff, or longer when the hub said how long to wait (its trunk is not served yet).
    const backoffMs = Math.min(2000, 50 * 2 ** Math.min(attempt, 6));
    const delayMs = Math.max(backoffMs, error.retryAfterMs ?? 0);
    this.options.onWait?.({ step, attempt, delayMs, message: waitMessage(error, delayMs) });
    await new Promise((resolve) => setTimeout(resolve, delayMs));
  }

  private async connected(): Promise<SplitExchange> {
    this.connection ??= await this.options.connect();
    return this.connection;
  }

  private drop(): void {
    this.connection?.close();
    this.connection = null;
  }
}

function waitMessage(error: SplitConnectionError, delayMs: number): string {
  const seconds = Math.max(1, Math.round(delayMs / 1000));
  if (error.code === 'split-trunk-not-served') {
    return (
      'Waiting for the hub to serve this task’s split-learning trunk (the hub has just started, or the ' +
      `task is new); trying again in ${seconds} s.`
    );
  }
  return `A split-learning step could not finish (${error.message}); trying again in ${seconds} s.`;
}
