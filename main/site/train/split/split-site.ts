// The site's part of a U-shaped SplitFed step (Thapa et al. 2022). The site holds the bottom (its
// images → cut 1) and the head (cut 2 → loss, with its labels); per step it sends the activations at
// cut 1, receives the trunk's output, sends the loss's gradient at that output, and receives the
// gradient at cut 1. Images and labels never leave: only the four cut frames cross. Each call takes
// and gives frame bytes, so a transport only moves bytes; a repeated frame (a retry after a dropped
// connection) gets the same answer and is applied once.
// With label sharing (`headAtHub`, an opt-in of the task) the head runs at the hub: a step sends the
// activations at cut 1 with the batch's labels (one message) and gets the gradient at cut 1 back; the
// site's head is not trained and the hub learns every label.
import {
  encodeLabelledStep,
  encodeLabelsFrame,
  type CutFrameDtype,
  type CutFrameKind,
} from '../../../../shared/federation/split/index.ts';
import { tf } from '../backend/index.ts';
import {
  segmentGradients,
  splitModel,
  type CutPoints,
  type ImageModel,
  type ModelSegment,
  type NamedTensor,
  type StageMode,
} from '../models/index.ts';
import {
  checkImageShape,
  cutTensor,
  readGradients,
  receiveFrame,
  sendFrame,
  type WeightGradients,
} from './cut-tensors.ts';
import type { SegmentOptimizer } from './segment-optimizer.ts';
import { SplitStepError } from './split-step-error.ts';

export interface SplitSiteOptions {
  /** The session with the hub (32 hex digits): every frame carries it. */
  readonly session: string;
  /** The dtype of the frames the site sends (float16 by default: half of float32's bytes). */
  readonly dtype?: CutFrameDtype;
  readonly cuts?: CutPoints;
  readonly optimizers: { readonly bottom: SegmentOptimizer; readonly head: SegmentOptimizer };
  /** The task's defences at this site (defences/site-defences.ts builds them from the settings). */
  readonly defences?: SiteCutDefences;
  /** Label sharing: the head runs at the hub and each step's labels go to it (the task's opt-in). */
  readonly headAtHub?: boolean;
}

/**
 * Where the defences act in a step. `bound` (clipping) is part of the bottom: it runs in the forward
 * pass and in its replay, so the gradient goes through it. `perturb` (noise) is added to what leaves
 * and is not differentiated (its Jacobian is the identity). `penalty` (NoPeek) is added to the
 * bottom's objective. `returnedGradient` (max norm) changes the gradient at cut 2 before it leaves.
 */
export interface SiteCutDefences {
  readonly bound?: (activations: tf.Tensor) => tf.Tensor;
  readonly perturb?: (activations: tf.Tensor) => tf.Tensor;
  readonly penalty?: (images: tf.Tensor, activations: tf.Tensor) => tf.Scalar;
  readonly returnedGradient?: (gradient: tf.Tensor) => tf.Tensor;
}

export interface HeadStepResult {
  /** The batch's mean cross-entropy on the site's labels. */
  readonly loss: number;
  /** The gradient at the trunk's output, to send. */
  readonly frame: Uint8Array;
  /** The head's weight gradients, as read before the head was updated. */
  readonly gradients: WeightGradients;
}

interface OpenStep {
  readonly step: number;
  readonly batch: number;
  readonly images: tf.Tensor4D;
  readonly cut1Shape: readonly number[];
  /** The head's answer, kept so that a repeated trunk output is answered without a second update. */
  headAnswer: HeadStepResult | null;
}

export class SplitSite {
  private readonly bottom: ModelSegment;
  private readonly head: ModelSegment;
  /** One image's trunk output, as this task's model makes it. */
  private readonly trunkOutputShape: readonly number[];
  private readonly dtype: CutFrameDtype;
  private open: OpenStep | null = null;
  /** The last step whose bottom was updated: its gradient, repeated, is not applied again. */
  private finished = -1;
  /** Why the site stopped the session (a defence's verdict): no step starts after it. */
  private stopped: Error | null = null;

  constructor(
    readonly model: ImageModel,
    private readonly options: SplitSiteOptions,
  ) {
    const split = splitModel(model, options.cuts);
    this.bottom = split.bottom;
    this.head = split.head;
    this.trunkOutputShape = split.shapes.cut2;
    this.dtype = options.dtype ?? 'float16';
  }

  /**
   * The tensors the site trains (bottom and head; the bottom alone with label sharing): what the round
   * machinery averages across sites.
   */
  get segmentParameters(): readonly NamedTensor[] {
    return this.headAtHub ? this.bottom.parameters : [...this.bottom.parameters, ...this.head.parameters];
  }

  /** Whether the head runs at the hub (label sharing): a step is then `labelledStep`, then `backwardBottom`. */
  get headAtHub(): boolean {
    return this.options.headAtHub ?? false;
  }

  /**
   * Step `step` begins: the bottom's output on `images` [batch, size, size, channels], as the frame to
   * send. A copy of the images stays here until the step's gradient comes back; a step left open (the
   * hub never answered) is dropped.
   */
  async forwardBottom(step: number, batch: number, images: tf.Tensor4D): Promise<Uint8Array> {
    if (this.stopped) throw this.stopped;
    this.dropOpenStep();
    const kept = tf.keep(images.clone());
    const { perturb } = this.options.defences ?? {};
    const atCut1 = tf.tidy(() => {
      const bounded = this.bottomOutput(kept, 'train');
      return perturb ? perturb(bounded) : bounded;
    });
    this.open = { step, batch, images: kept, cut1Shape: atCut1.shape, headAnswer: null };
    return sendFrame(this.header('cut1-activations'), atCut1);
  }

  /**
   * Label sharing: step `step` begins as `forwardBottom` begins it, and its message holds the batch's
   * labels frame and the activations at cut 1 (labels-frame.ts). The hub's answer is the gradient at
   * cut 1, for `backwardBottom`.
   */
  async labelledStep(
    step: number,
    batch: number,
    images: tf.Tensor4D,
    labels: Int32Array,
  ): Promise<Uint8Array> {
    if (!this.headAtHub) {
      throw new SplitStepError(
        'wrong-mode',
        'This task keeps the labels at this site: a step sends no labels.',
      );
    }
    if (labels.length !== images.shape[0]) {
      throw new SplitStepError(
        'shape-mismatch',
        `Step ${step} has ${images.shape[0]} images but ${labels.length} labels.`,
      );
    }
    const labelsFrame = encodeLabelsFrame(
      { session: this.options.session, step, batch },
      labels,
      this.model.config.numClasses,
    );
    return encodeLabelledStep(labelsFrame, await this.forwardBottom(step, batch, images));
  }

  /**
   * The trunk's output for the open step: the loss on the site's labels, the head updated, and the
   * gradient at the trunk's output as the frame to send.
   */
  async headStep(trunkOutput: Uint8Array, labels: Int32Array): Promise<HeadStepResult> {
    if (this.headAtHub) {
      throw new SplitStepError(
        'wrong-mode',
        'This task runs the head at the hub: the site has no head step.',
      );
    }
    const open = this.expectOpen();
    const received = receiveFrame(trunkOutput, {
      kind: 'cut2-activations',
      session: this.options.session,
      step: open.step,
    });
    checkImageShape(received, this.trunkOutputShape);
    if (received.shape[0] !== labels.length) {
      throw new SplitStepError(
        'shape-mismatch',
        `The trunk's output is for ${received.shape[0]} images, but step ${open.step} trains on ${labels.length}.`,
      );
    }
    if (open.headAnswer) return open.headAnswer;
    const atCut2 = cutTensor(received);
    const oneHot = tf.tidy(() => tf.oneHot(tf.tensor1d(labels, 'int32'), this.model.config.numClasses));
    const { value, input, weights } = segmentGradients(
      this.head,
      atCut2,
      (logits) => tf.losses.softmaxCrossEntropy(oneHot, logits) as tf.Scalar,
      { mode: 'train', inputGradient: true },
    );
    atCut2.dispose();
    oneHot.dispose();
    const loss = (await value.data())[0]!;
    value.dispose();
    const returned = this.options.defences?.returnedGradient;
    const leaving = returned ? tf.tidy(() => returned(input!)) : input!;
    if (leaving !== input) input!.dispose();
    // The frame first: a gradient it refuses (not finite) leaves the head as it was.
    const frame = await sendFrame(this.header('cut2-gradient', received.shape), leaving).catch(
      (error: unknown) => {
        for (const gradient of weights.values()) gradient.dispose();
        throw error;
      },
    );
    const gradients = await readGradients(weights);
    this.options.optimizers.head.apply(weights, this.head.parameters);
    open.headAnswer = { loss, frame, gradients };
    return open.headAnswer;
  }

  /**
   * The gradient at cut 1 for the open step: the bottom's weight gradients, applied; the step is then
   * over. The same frame again (a retry) changes nothing and gives null.
   */
  async backwardBottom(cut1Gradient: Uint8Array): Promise<WeightGradients | null> {
    const session = this.options.session;
    if (!this.open) {
      const { step } = receiveFrame(cut1Gradient, { kind: 'cut1-gradient', session });
      if (step === this.finished) return null;
    }
    const open = this.expectOpen();
    if (!open.headAnswer && !this.headAtHub) {
      throw new SplitStepError(
        'out-of-order',
        `Step ${open.step}'s gradient at cut 1 came before its head step.`,
      );
    }
    const received = receiveFrame(cut1Gradient, {
      kind: 'cut1-gradient',
      session,
      step: open.step,
      shape: open.cut1Shape,
    });
    const upstream = cutTensor(received);
    const penalty = this.options.defences?.penalty;
    // The vector–Jacobian product across cut 1, plus NoPeek's term when it is on: one replay of the
    // bottom gives both, as one loss would in a whole step.
    const replayed: ModelSegment = { ...this.bottom, apply: (x, mode) => this.bottomOutput(x, mode) };
    const { value, weights } = segmentGradients(
      replayed,
      open.images,
      (atCut1) => {
        const product = tf.sum(tf.mul(atCut1, upstream));
        return (penalty ? tf.add(product, penalty(open.images, atCut1)) : product) as tf.Scalar;
      },
      { mode: 'replay', inputGradient: false },
    );
    value.dispose();
    upstream.dispose();
    const gradients = await readGradients(weights);
    this.options.optimizers.bottom.apply(weights, this.bottom.parameters);
    this.finished = open.step;
    this.dropOpenStep();
    return gradients;
  }

  /**
   * The evaluation exchange's frame (the hijack check): `atCut1`, the bottom's output on held-back
   * images as it would leave (clipped and noised when those defences are on), sent as `cut1-evaluation`;
   * the hub's trunk answers in inference without a step. Nothing is sent once the session is stopped.
   */
  async evaluationFrame(step: number, batch: number, atCut1: tf.Tensor): Promise<Uint8Array> {
    if (this.stopped) throw this.stopped;
    const header = {
      kind: 'cut1-evaluation' as const,
      session: this.options.session,
      step,
      batch,
      shape: atCut1.shape,
      dtype: this.dtype,
    };
    return sendFrame(header, atCut1.clone());
  }

  /** The trunk's output on held-back images, from the hub's `cut2-evaluation` answer. */
  readEvaluation(frame: Uint8Array, expected: { step: number; images: number }): tf.Tensor {
    const received = receiveFrame(frame, {
      kind: 'cut2-evaluation',
      session: this.options.session,
      step: expected.step,
      shape: [expected.images, ...this.trunkOutputShape],
    });
    return cutTensor(received);
  }

  /**
   * Stops the session at this site for `reason` (a defence's verdict, in words for the operator): the
   * open step is dropped, and every later step is refused with the same error, so nothing more leaves.
   */
  stop(reason: Error): void {
    this.stopped = reason;
    this.dropOpenStep();
  }

  /** Why the session was stopped, or null while it runs. */
  get stopReason(): Error | null {
    return this.stopped;
  }

  dispose(): void {
    this.dropOpenStep();
  }

  /** The bottom's output as it leaves before any noise: through clipping when that defence is on. */
  private bottomOutput(images: tf.Tensor, mode: StageMode): tf.Tensor {
    const atCut1 = this.bottom.apply(images, mode);
    const bound = this.options.defences?.bound;
    return bound ? bound(atCut1) : atCut1;
  }

  private dropOpenStep(): void {
    this.open?.images.dispose();
    this.open = null;
  }

  private expectOpen(): OpenStep {
    if (!this.open) {
      throw new SplitStepError(
        'out-of-order',
        'No split-learning step is open at this site: a step starts with the bottom\u2019s forward pass.',
      );
    }
    return this.open;
  }

  private header(kind: CutFrameKind, shape?: readonly number[]) {
    const open = this.expectOpen();
    return {
      kind,
      session: this.options.session,
      step: open.step,
      batch: open.batch,
      shape: shape ?? open.cut1Shape,
      dtype: this.dtype,
    };
  }
}
