// The labels frame of label-sharing split learning (the head at the hub): a batch's class indices,
// one byte each, under the same 32-byte header as a cut frame (cut-frame.ts) so that the session, step
// and batch it belongs to read the same way. A label-sharing step is ONE message up: this frame, then
// the step's `cut1-activations` frame; the hub answers with the `cut1-gradient` frame alone.
//
//   0  4  magic "RFCF"            8 16  session id         32 4  the number of labels (u32)
//   4  1  format version (1)     24  4  step (u32)         36 n  one class index per image (u8)
//   5  1  kind 0x40 (labels)     28  4  batch id (u32)
//   6  1  dtype 0x40 (class index, u8)   7 1  rank (1)
//
// The kind and dtype bytes are far above the cut frame's (1 to 6, 1 to 3), so a cut-frame reader
// refuses a labels frame as an unknown kind, and a kind added to the cut frame cannot collide. Every
// bound is checked before anything is allocated or trained on: a frame of the wrong length, a count
// that disagrees with the activations, or a label outside the task's classes is refused in words.
import { RadfedError } from '../../errors.ts';
import { CUT_FRAME_VERSION, decodeCutFrameHeader, type CutFrameHeader } from './cut-frame.ts';

export type LabelsFrameErrorCode = 'bad-labels-frame';

export class LabelsFrameError extends RadfedError<LabelsFrameErrorCode> {
  override readonly name = 'LabelsFrameError';
}

const MAGIC = [0x52, 0x46, 0x43, 0x46]; // "RFCF", as a cut frame
export const LABELS_FRAME_KIND_BYTE = 0x40;
const CLASS_INDEX_DTYPE_BYTE = 0x40;
const HEADER_BYTES = 36;
/** Class indices are one byte: a task has at most 256 classes for label sharing. */
export const MAX_LABEL_CLASSES = 256;

export interface LabelsFrameHeader {
  readonly session: string;
  readonly step: number;
  readonly batch: number;
  /** The number of labels (images in the batch). */
  readonly count: number;
}

export interface LabelsFrame extends LabelsFrameHeader {
  readonly labels: Uint8Array;
}

/** The labels frame's bytes for one batch; refuses a label that is not a class index of `classes`. */
export function encodeLabelsFrame(
  header: Omit<LabelsFrameHeader, 'count'>,
  labels: ArrayLike<number>,
  classes: number,
): Uint8Array {
  if (!/^[0-9a-f]{32}$/.test(header.session)) {
    throw new LabelsFrameError(
      'bad-labels-frame',
      'Cannot send labels: the session id must be 32 hex digits.',
    );
  }
  if (labels.length < 1)
    throw new LabelsFrameError('bad-labels-frame', 'Cannot send an empty batch of labels.');
  if (classes > MAX_LABEL_CLASSES) {
    throw new LabelsFrameError(
      'bad-labels-frame',
      `A labels frame holds one byte per label, so at most ${MAX_LABEL_CLASSES} classes; this task has ${classes}.`,
    );
  }
  const bytes = new Uint8Array(HEADER_BYTES + labels.length);
  const view = new DataView(bytes.buffer);
  bytes.set(MAGIC, 0);
  view.setUint8(4, CUT_FRAME_VERSION);
  view.setUint8(5, LABELS_FRAME_KIND_BYTE);
  view.setUint8(6, CLASS_INDEX_DTYPE_BYTE);
  view.setUint8(7, 1);
  for (let i = 0; i < 16; i++) view.setUint8(8 + i, parseInt(header.session.slice(2 * i, 2 * i + 2), 16));
  view.setUint32(24, header.step, true);
  view.setUint32(28, header.batch, true);
  view.setUint32(32, labels.length, true);
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i]!;
    checkLabel(label, classes);
    bytes[HEADER_BYTES + i] = label;
  }
  return bytes;
}

/** Whether `bytes` begin with a labels frame's header (a label-sharing step), by magic and kind only. */
export function isLabelsFrame(bytes: Uint8Array): boolean {
  return (
    bytes.length >= 8 && MAGIC.every((byte, i) => bytes[i] === byte) && bytes[5] === LABELS_FRAME_KIND_BYTE
  );
}

/** The header of the labels frame at the start of `bytes` (a router's look: session, step). */
export function decodeLabelsFrameHeader(
  bytes: Uint8Array,
  options: { maxLabels: number },
): LabelsFrameHeader {
  if (!isLabelsFrame(bytes) || bytes.length < HEADER_BYTES) {
    throw new LabelsFrameError(
      'bad-labels-frame',
      'This is not a split-learning labels frame (its header is missing or names another kind).',
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint8(4);
  if (version !== CUT_FRAME_VERSION) {
    throw new LabelsFrameError(
      'bad-labels-frame',
      `This labels frame is format version ${version}; this program reads version ${CUT_FRAME_VERSION}. Update the older of the site and the hub.`,
    );
  }
  if (view.getUint8(6) !== CLASS_INDEX_DTYPE_BYTE || view.getUint8(7) !== 1) {
    throw new LabelsFrameError(
      'bad-labels-frame',
      'A labels frame holds one class index (one byte) per image, in one axis; this one says otherwise.',
    );
  }
  const count = view.getUint32(32, true);
  if (count < 1 || count > options.maxLabels) {
    throw new LabelsFrameError(
      'bad-labels-frame',
      `A labels frame carries 1 to ${options.maxLabels} labels; this one says ${count}.`,
    );
  }
  let session = '';
  for (let i = 0; i < 16; i++) session += bytes[8 + i]!.toString(16).padStart(2, '0');
  return { session, step: view.getUint32(24, true), batch: view.getUint32(28, true), count };
}

/** The labels frame in `bytes` (exactly one), each label checked to be a class index of `classes`. */
export function decodeLabelsFrame(
  bytes: Uint8Array,
  options: { classes: number; maxLabels: number },
): LabelsFrame {
  const header = decodeLabelsFrameHeader(bytes, options);
  if (bytes.length !== HEADER_BYTES + header.count) {
    throw new LabelsFrameError(
      'bad-labels-frame',
      `This labels frame is ${bytes.length} bytes, but its header says ${header.count} labels ` +
        `(${HEADER_BYTES + header.count} bytes): it was cut short or padded on the way; send it again.`,
    );
  }
  const labels = bytes.slice(HEADER_BYTES);
  for (const label of labels) checkLabel(label, options.classes);
  return { ...header, labels };
}

/** One label-sharing step's message: the labels frame, then the activations at cut 1. */
export function encodeLabelledStep(labelsFrame: Uint8Array, activationsFrame: Uint8Array): Uint8Array {
  const message = new Uint8Array(labelsFrame.length + activationsFrame.length);
  message.set(labelsFrame, 0);
  message.set(activationsFrame, labelsFrame.length);
  return message;
}

export interface LabelledStep {
  readonly labels: LabelsFrame;
  /** The `cut1-activations` frame's bytes (its header checked against the labels'). */
  readonly activations: Uint8Array;
  readonly activationsHeader: CutFrameHeader;
}

/**
 * A label-sharing step's message taken apart and checked: the labels frame (its length from its own
 * header, every label a class index), then exactly one `cut1-activations` frame of the same session,
 * step and batch, for as many images as there are labels.
 */
export function decodeLabelledStep(
  message: Uint8Array,
  options: { classes: number; maxLabels: number },
): LabelledStep {
  const { count } = decodeLabelsFrameHeader(message, options);
  const end = HEADER_BYTES + count;
  if (message.length <= end) {
    throw new LabelsFrameError(
      'bad-labels-frame',
      'A label-sharing step sends its labels frame followed by the activations at cut 1; the activations are missing.',
    );
  }
  const labels = decodeLabelsFrame(message.subarray(0, end), options);
  const activations = message.subarray(end);
  const activationsHeader = decodeCutFrameHeader(activations);
  const same =
    activationsHeader.kind === 'cut1-activations' &&
    activationsHeader.session === labels.session &&
    activationsHeader.step === labels.step &&
    activationsHeader.batch === labels.batch &&
    activationsHeader.shape[0] === labels.count;
  if (!same) {
    throw new LabelsFrameError(
      'bad-labels-frame',
      `A label-sharing step's labels (${labels.count}, step ${labels.step}) must come with the same step's ` +
        `activations at cut 1 for as many images; these are a ${activationsHeader.kind} frame of step ` +
        `${activationsHeader.step} for ${activationsHeader.shape[0]} images.`,
    );
  }
  return { labels, activations, activationsHeader };
}

function checkLabel(label: number, classes: number): void {
  if (!Number.isInteger(label) || label < 0 || label >= classes) {
    throw new LabelsFrameError(
      'bad-labels-frame',
      `A label must be a class index from 0 to ${classes - 1} (this task has ${classes} classes); ` +
        `${Number.isFinite(label) ? label : 'a value that is not a number'} is not.`,
    );
  }
}
