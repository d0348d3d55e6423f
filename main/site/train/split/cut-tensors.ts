// Between tensors and cut frames, for both ends of a cut: a tensor becomes a frame's bytes, and a
// received frame is checked against the step its receiver is at before it becomes a tensor.
import {
  decodeCutFrame,
  encodeCutFrame,
  type CutFrameHeader,
  type CutFrameKind,
} from '../../../../shared/federation/split/index.ts';
import { tf } from '../backend/index.ts';
import { SplitStepError } from './split-step-error.ts';

/** A segment's weight gradients by tensor name, read back from the backend. */
export type WeightGradients = ReadonlyMap<string, Float32Array>;

/** The frame for `tensor`, which is disposed (it has crossed). */
export async function sendFrame(header: CutFrameHeader, tensor: tf.Tensor): Promise<Uint8Array> {
  // data(), not dataSync(): WebGPU in Node cannot read a buffer synchronously.
  const values = (await tensor.data()) as Float32Array;
  tensor.dispose();
  return encodeCutFrame(header, values);
}

export interface ExpectedFrame {
  readonly kind: CutFrameKind;
  /** The receiver's session; left out by the trunk, which serves every session of the task. */
  readonly session?: string;
  /** The step the receiver is at; left out where any step is read (to recognise a retry). */
  readonly step?: number;
  readonly shape?: readonly number[];
}

export interface ReceivedFrame {
  readonly kind: CutFrameKind;
  readonly session: string;
  readonly step: number;
  readonly batch: number;
  readonly shape: readonly number[];
  readonly values: Float32Array;
}

/** The frame's contents, refused when it is not the kind, session, step or shape expected. */
export function receiveFrame(bytes: Uint8Array, expected: ExpectedFrame): ReceivedFrame {
  const { header, values } = decodeCutFrame(bytes);
  if (header.kind !== expected.kind) {
    throw new SplitStepError(
      'out-of-order',
      `Expected a ${expected.kind} frame here, but a ${header.kind} frame came.`,
    );
  }
  if (expected.session !== undefined && header.session !== expected.session) {
    throw new SplitStepError(
      'wrong-session',
      `This ${header.kind} frame belongs to another split-learning session.`,
    );
  }
  const received = { ...header, values };
  checkStep(received, expected);
  return received;
}

/** Refuses a received frame that is not for the step (or of the shape) its receiver is at. */
export function checkStep(
  received: ReceivedFrame,
  expected: { readonly step?: number; readonly shape?: readonly number[] },
): void {
  if (expected.step !== undefined && received.step !== expected.step) {
    throw new SplitStepError(
      'out-of-order',
      `This ${received.kind} frame is for step ${received.step}, but the session is at step ${expected.step}.`,
    );
  }
  if (expected.shape && !sameShape(received.shape, expected.shape)) {
    throw new SplitStepError(
      'shape-mismatch',
      `This ${received.kind} frame has shape [${received.shape.join(', ')}], but step ${received.step} needs [${expected.shape.join(', ')}].`,
    );
  }
}

export function cutTensor(frame: Pick<ReceivedFrame, 'values' | 'shape'>): tf.Tensor {
  return tf.tensor(frame.values, [...frame.shape], 'float32');
}

/** Reads the gradients back (the tensors stay, for the optimizer that disposes them). */
export async function readGradients(gradients: ReadonlyMap<string, tf.Tensor>): Promise<WeightGradients> {
  const read = await Promise.all(
    [...gradients].map(async ([name, tensor]) => [name, (await tensor.data()) as Float32Array] as const),
  );
  return new Map(read);
}

/**
 * Refuses a frame whose images are not of the shape the receiver's segment takes (`perImage`, no
 * batch axis), before the segment runs on it.
 */
export function checkImageShape(received: ReceivedFrame, perImage: readonly number[]): void {
  if (!sameShape(received.shape.slice(1), perImage)) {
    throw new SplitStepError(
      'shape-mismatch',
      `This ${received.kind} frame has shape [${received.shape.join(', ')}], but this task's model needs ` +
        `[images, ${perImage.join(', ')}] at that cut: the site and the hub disagree on the model or its cut points.`,
    );
  }
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((size, i) => size === b[i]);
}
