// The hub's part of a U-shaped SplitFed step: the trunk (cut 1 → cut 2), shared by every site of the
// task. It sees activations and gradients at the cuts, never an image, a label or a site's segment.
// With label sharing (`headAtHub`) the hub also holds the head: a step is one exchange (the labels and
// the activations at cut 1 in, the gradient at cut 1 out), and the head's tensors are trained, kept
// and checkpointed with the trunk's, as one segment.
// One step is open on the trunk at a time: the backward pass recomputes the forward one (tfjs keeps no
// tape between calls), which equals the forward the site saw only while no other step has changed
// the trunk in between; the hub's split sessions (hub/split) queue the sites' steps. It lives with the
// training engine because tfjs and the model definitions are here; the hub imports only shared/, so
// the process that starts the hub hands it in as a SplitTrunkEngine (shared/federation/split).
import {
  CutFrameError,
  decodeLabelledStep,
  type CutFrameDtype,
  type SplitTrunkEngine,
} from '../../../../shared/federation/split/index.ts';
import { tf } from '../backend/index.ts';
import {
  backwardThrough,
  segmentGradients,
  splitModel,
  type CutPoints,
  type ImageModel,
  type ModelSegment,
} from '../models/index.ts';
import {
  checkImageShape,
  checkStep,
  cutTensor,
  readGradients,
  receiveFrame,
  sendFrame,
  type ReceivedFrame,
  type WeightGradients,
} from './cut-tensors.ts';
import type { SegmentOptimizer } from './segment-optimizer.ts';
import { SplitStepError } from './split-step-error.ts';
import { decodeTrunkState, encodeTrunkState } from './trunk-checkpoint.ts';

export interface HubTrunkOptions {
  /** The dtype of the frames the hub sends (float16 by default). */
  readonly dtype?: CutFrameDtype;
  readonly cuts?: CutPoints;
  readonly optimizer: SegmentOptimizer;
  /**
   * Label sharing: the head runs here too, after the trunk, with the loss on the labels each site sends
   * (`labelledStep`); the U-shaped calls (`forwardTrunk`, `backwardTrunk`) are refused.
   */
  readonly headAtHub?: boolean;
}

export interface TrunkBackward {
  /** The gradient at cut 1, to send to the site. */
  readonly frame: Uint8Array;
  /** The trunk's weight gradients, as read before the trunk was updated. */
  readonly gradients: WeightGradients;
  /** With the head at the hub: the batch's mean cross-entropy (NaN for an answer read from a checkpoint). */
  readonly loss?: number;
}

/** The most labels a label-sharing step may carry here; the hub's sessions bound the batch lower. */
const MAX_LABELS = 65_536;

interface OpenStep {
  readonly session: string;
  readonly step: number;
  readonly batch: number;
  readonly atCut1: tf.Tensor;
  readonly outputShape: readonly number[];
  readonly forwardAnswer: Uint8Array;
}

export class HubTrunk implements SplitTrunkEngine {
  /** The trunk, or with the head at the hub the trunk and the head as one segment (cut 1 → logits). */
  readonly trunk: ModelSegment;
  readonly headAtHub: boolean;
  readonly incomingValuesPerImage: readonly number[];
  appliedSteps = 0;
  /** One image's activations at cut 1, as this task's model makes them. */
  private readonly inputShape: readonly number[];
  private readonly dtype: CutFrameDtype;
  private readonly numClasses: number;
  private open: OpenStep | null = null;
  /** Each session's last finished step and its answer: a repeated gradient gets it, not a second update. */
  private readonly finished = new Map<string, { step: number; answer: TrunkBackward }>();

  /** `model` is the task's architecture; the hub uses only its trunk's tensors. */
  constructor(
    model: ImageModel,
    private readonly options: HubTrunkOptions,
  ) {
    const split = splitModel(model, options.cuts);
    this.headAtHub = options.headAtHub ?? false;
    this.trunk = this.headAtHub ? trunkWithHead(split.trunk, split.head) : split.trunk;
    this.inputShape = split.shapes.cut1;
    this.numClasses = model.config.numClasses;
    const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
    // With the head here a step's message is the activations at cut 1 plus one label byte per image
    // (counted as a value, which leaves room for the labels frame's header).
    this.incomingValuesPerImage = this.headAtHub
      ? [size(split.shapes.cut1) + 1]
      : [size(split.shapes.cut1), size(split.shapes.cut2)];
    this.dtype = options.dtype ?? 'float16';
  }

  /** The trunk's output on a site's activations at cut 1, as the frame to send back. */
  async forwardTrunk(activations: Uint8Array): Promise<Uint8Array> {
    this.expectHeadAt('site');
    const received = receiveFrame(activations, { kind: 'cut1-activations' });
    checkImageShape(received, this.inputShape);
    const { session, step, batch, shape, values } = received;
    const open = this.open;
    if (open && open.session === session && open.step === step) return open.forwardAnswer; // a retry
    if (open && open.session === session) this.close(); // the site gave that step up and began another
    if (this.open) {
      throw new SplitStepError(
        'trunk-busy',
        `The trunk is in the middle of another step; send step ${step} again when that one is done.`,
      );
    }
    const atCut1 = tf.keep(cutTensor({ values, shape }));
    const output = tf.tidy(() => this.trunk.apply(atCut1, 'train'));
    const outputShape = output.shape;
    const header = {
      kind: 'cut2-activations' as const,
      session,
      step,
      batch,
      shape: outputShape,
      dtype: this.dtype,
    };
    const forwardAnswer = await sendFrame(header, output);
    this.open = { session, step, batch, atCut1, outputShape, forwardAnswer };
    return forwardAnswer;
  }

  /**
   * The trunk's output in inference on a site's held-back images (its hijack check): no step is
   * opened and nothing changes, so it may come between another site's activations and its gradient.
   */
  async evaluateTrunk(activations: Uint8Array): Promise<Uint8Array> {
    const received = receiveFrame(activations, { kind: 'cut1-evaluation' });
    checkImageShape(received, this.inputShape);
    const { session, step, batch, shape, values } = received;
    const output = tf.tidy(() => {
      const atCut1 = cutTensor({ values, shape });
      return this.trunk.apply(atCut1, 'infer');
    });
    const header = {
      kind: 'cut2-evaluation' as const,
      session,
      step,
      batch,
      shape: output.shape,
      dtype: this.dtype,
    };
    return sendFrame(header, output);
  }

  /**
   * The site's gradient at the trunk's output for the open step: the gradient at cut 1 (to send) and
   * the trunk's weight gradients, applied. A repeated gradient for a finished step gets the same
   * answer and changes nothing.
   */
  async backwardTrunk(gradient: Uint8Array): Promise<TrunkBackward> {
    this.expectHeadAt('site');
    const received = receiveFrame(gradient, { kind: 'cut2-gradient' });
    const { session, step } = received;
    const done = this.finished.get(session);
    if (done && done.step === step) return done.answer; // a retry
    const open = this.open;
    if (!open || open.session !== session) {
      throw new SplitStepError(
        'out-of-order',
        `Step ${step}'s gradient came before its activations reached the trunk.`,
      );
    }
    // Whatever refuses this gradient ends the step: the hub's split sessions let go of the site's hold
    // on the trunk when a step fails, so an open step left here would refuse every other site's
    // activations ('trunk-busy') until the hub restarted. The site starts the step again or stops.
    try {
      return await this.applyGradient(open, received);
    } catch (error) {
      if (this.open === open) this.close();
      throw error;
    }
  }

  private async applyGradient(open: OpenStep, received: ReceivedFrame): Promise<TrunkBackward> {
    const { session } = received;
    checkStep(received, { step: open.step, shape: open.outputShape });
    const upstream = cutTensor(received);
    const { input, weights } = backwardThrough(this.trunk, open.atCut1, upstream, {
      mode: 'replay',
      inputGradient: true,
    });
    upstream.dispose();
    const answer = await this.finishStep(
      { session, step: open.step, batch: open.batch, shape: open.atCut1.shape },
      input!,
      weights,
    );
    this.close();
    return answer;
  }

  /**
   * Label sharing: a step's labels and activations at cut 1 (one message), through the trunk and the
   * head to the loss in one pass (no open step, no replay), both updated once; the gradient at cut 1
   * is the answer. The session's last finished step sent again gets the same answer, unapplied.
   */
  async labelledStep(message: Uint8Array): Promise<TrunkBackward> {
    this.expectHeadAt('hub');
    const { labels, activations } = decodeLabelledStep(message, {
      classes: this.numClasses,
      maxLabels: MAX_LABELS,
    });
    const received = receiveFrame(activations, { kind: 'cut1-activations' });
    checkImageShape(received, this.inputShape);
    const { session, step, batch } = received;
    const done = this.finished.get(session);
    if (done && done.step === step) return done.answer; // a retry
    const atCut1 = cutTensor(received);
    const oneHot = tf.tidy(() =>
      tf.oneHot(tf.tensor1d(Int32Array.from(labels.labels), 'int32'), this.numClasses),
    );
    const { value, input, weights } = segmentGradients(
      this.trunk,
      atCut1,
      (logits) => tf.losses.softmaxCrossEntropy(oneHot, logits) as tf.Scalar,
      { mode: 'train', inputGradient: true },
    );
    atCut1.dispose();
    oneHot.dispose();
    const loss = (await value.data())[0]!;
    value.dispose();
    return this.finishStep({ session, step, batch, shape: received.shape }, input!, weights, loss);
  }

  /**
   * Ends a step: encodes the gradient at cut 1 as its answer, then updates the trunk (with label
   * sharing, and the head) with `weights` and records the step as the session's last finished one.
   * The frame first: a gradient it refuses (not finite) leaves the trunk and head as they were.
   */
  private async finishStep(
    at: { session: string; step: number; batch: number; shape: readonly number[] },
    inputGradient: tf.Tensor,
    weights: ReadonlyMap<string, tf.Tensor>,
    loss?: number,
  ): Promise<TrunkBackward> {
    const header = { kind: 'cut1-gradient' as const, ...at, dtype: this.dtype };
    const frame = await sendFrame(header, inputGradient).catch((error: unknown) => {
      for (const gradient of weights.values()) gradient.dispose();
      throw error;
    });
    const gradients = await readGradients(weights);
    refuseOverflowingGradients(gradients, weights);
    this.options.optimizer.apply(weights, this.trunk.parameters);
    const answer = loss === undefined ? { frame, gradients } : { frame, gradients, loss };
    this.finished.set(at.session, { step: at.step, answer });
    this.appliedSteps += 1;
    return answer;
  }

  /** Drops a session's open step (its site vanished mid-step), so the other sites go on. */
  abandon(session: string): void {
    if (this.open?.session === session) this.close();
  }

  /** Forgets a session that is over: its last answer, kept for a retry, goes (not an open step's). */
  forget(session: string): void {
    if (this.open?.session !== session) this.finished.delete(session);
  }

  finishedStep(session: string): number {
    return this.finished.get(session)?.step ?? -1;
  }

  /** Weights, optimizer state and each session's last step with its answer (no open step). */
  async checkpoint(): Promise<Uint8Array> {
    const parameters = this.trunk.parameters;
    const weights = await Promise.all(
      parameters.map(async (p) => ({
        name: p.name,
        shape: [...p.variable.shape],
        values: (await p.variable.data()) as Float32Array,
        trainable: p.trainable,
      })),
    );
    const optimizer = await this.options.optimizer.state(parameters);
    const sessions = [...this.finished].map(([session, { step, answer }]) => ({
      session,
      step,
      answer: answer.frame,
    }));
    return encodeTrunkState({
      appliedSteps: this.appliedSteps,
      tensors: [...weights, ...optimizer],
      sessions,
    });
  }

  /** The trunk as a checkpoint left it; an open step is dropped (its site sends it again). */
  restore(checkpoint: Uint8Array): void {
    const state = decodeTrunkState(checkpoint);
    const byName = new Map(state.tensors.map((t) => [t.name, t]));
    for (const p of this.trunk.parameters) {
      const saved = byName.get(p.name);
      if (!saved || saved.values.length !== p.variable.size) {
        throw new SplitStepError(
          'shape-mismatch',
          `The trunk's checkpoint does not fit this task's model (tensor ${p.name}).`,
        );
      }
    }
    for (const p of this.trunk.parameters) {
      const value = tf.tensor(byName.get(p.name)!.values, p.variable.shape);
      p.variable.assign(value);
      value.dispose();
    }
    const own = new Set(this.trunk.parameters.map((p) => p.name));
    this.options.optimizer.restore(
      this.trunk.parameters,
      state.tensors.filter((t) => !own.has(t.name)),
    );
    this.close();
    this.finished.clear();
    for (const s of state.sessions) {
      this.finished.set(s.session, { step: s.step, answer: { frame: s.answer, gradients: new Map() } });
    }
    this.appliedSteps = state.appliedSteps;
  }

  dispose(): void {
    this.close();
  }

  /** Refuses a call of the other mode: a label-sharing trunk takes labelled steps only, and back. */
  private expectHeadAt(where: 'site' | 'hub'): void {
    if (this.headAtHub === (where === 'hub')) return;
    throw new SplitStepError(
      'wrong-mode',
      where === 'hub'
        ? 'This task keeps the head and the labels at each site: send the activations, then the gradient at cut 2.'
        : 'This task shares labels (the head runs at the hub): send each step as its labels with its activations at cut 1.',
    );
  }

  private close(): void {
    this.open?.atCut1.dispose();
    this.open = null;
  }
}

/**
 * Refuses (disposing them) weight gradients that are not finite or whose square is not: Adam keeps each
 * gradient's square, so one value above ~1.8e19 (a site's gradient at cut 2 of 1e20, say) makes that
 * tensor's second moment infinite, and the tensor then never moves again, for every site of the task.
 * An honest step's gradients are many orders of magnitude smaller.
 */
function refuseOverflowingGradients(
  gradients: WeightGradients,
  tensors: ReadonlyMap<string, tf.Tensor>,
): void {
  for (const values of gradients.values()) {
    for (const value of values) {
      if (Number.isFinite(Math.fround(value * value))) continue;
      for (const tensor of tensors.values()) tensor.dispose();
      throw new CutFrameError(
        'not-finite',
        "The gradient this site sent makes the trunk's weight gradients overflow (not finite numbers), so " +
          "the step was not applied: the site's training has diverged. Lower the learning rate and start the " +
          'session again.',
      );
    }
  }
}

/** The trunk followed by the head, as one segment over both's variables (label sharing). */
function trunkWithHead(trunk: ModelSegment, head: ModelSegment): ModelSegment {
  return {
    name: 'trunk',
    stages: [...trunk.stages, ...head.stages],
    parameters: [...trunk.parameters, ...head.parameters],
    apply: (input, mode) => head.apply(trunk.apply(input, mode), mode),
  };
}
