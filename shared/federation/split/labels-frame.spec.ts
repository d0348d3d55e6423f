// The labels frame of label-sharing split learning: it round-trips under the cut frame's header, and a
// hostile frame (cut short, padded, a count that lies, a label outside the task's classes, labels that
// do not match the activations they come with) is refused with a sentence, before anything is read.
import { describe, expect, it } from 'vitest';
import { encodeCutFrame } from './cut-frame.ts';
import {
  decodeLabelledStep,
  decodeLabelsFrame,
  encodeLabelledStep,
  encodeLabelsFrame,
  isLabelsFrame,
} from './labels-frame.ts';

const SESSION = 'c3'.repeat(16);
const LIMITS = { classes: 3, maxLabels: 256 };
const header = { session: SESSION, step: 4, batch: 9 };
const activations = (images: number, step = 4) =>
  encodeCutFrame(
    {
      kind: 'cut1-activations',
      session: SESSION,
      step,
      batch: 9,
      shape: [images, 2, 2, 1],
      dtype: 'float16',
    },
    new Float32Array(images * 4).fill(0.5),
  );

describe('the labels frame', () => {
  it('round-trips a batch of class indices under the cut frame header, one byte each', () => {
    const bytes = encodeLabelsFrame(header, [0, 2, 1, 1], 3);
    expect(bytes.length).toBe(36 + 4);
    expect(String.fromCharCode(...bytes.subarray(0, 4))).toBe('RFCF');
    expect(isLabelsFrame(bytes)).toBe(true);
    expect(isLabelsFrame(activations(1))).toBe(false);
    const frame = decodeLabelsFrame(bytes, LIMITS);
    expect(frame).toMatchObject({ session: SESSION, step: 4, batch: 9, count: 4 });
    expect([...frame.labels]).toEqual([0, 2, 1, 1]);
  });

  it('a step message carries the labels then the same step\u2019s activations, taken apart and checked', () => {
    const message = encodeLabelledStep(encodeLabelsFrame(header, [1, 0], 3), activations(2));
    const step = decodeLabelledStep(message, LIMITS);
    expect([...step.labels.labels]).toEqual([1, 0]);
    expect(step.activationsHeader).toMatchObject({ kind: 'cut1-activations', step: 4, shape: [2, 2, 2, 1] });
  });

  it('refuses a label outside the task\u2019s classes, at the sender and at the receiver', () => {
    expect(() => encodeLabelsFrame(header, [0, 3], 3)).toThrow(/class index from 0 to 2.*3 is not/);
    expect(() => encodeLabelsFrame(header, [0, 1], 300)).toThrow(/at most 256 classes/);
    const hostile = encodeLabelsFrame(header, [0, 2], 3);
    hostile[37] = 7; // the second label, set past the classes on the way
    expect(() => decodeLabelsFrame(hostile, LIMITS)).toThrow(
      expect.objectContaining({ code: 'bad-labels-frame', message: expect.stringMatching(/7 is not/) }),
    );
  });

  it('refuses a frame cut short, padded, or whose count is zero or above the bound, before reading labels', () => {
    const bytes = encodeLabelsFrame(header, [0, 1, 2], 3);
    expect(() => decodeLabelsFrame(bytes.subarray(0, 38), LIMITS)).toThrow(/39 bytes.*cut short or padded/);
    const padded = new Uint8Array(bytes.length + 5);
    padded.set(bytes);
    expect(() => decodeLabelsFrame(padded, LIMITS)).toThrow(/cut short or padded/);
    const huge = bytes.slice();
    new DataView(huge.buffer).setUint32(32, 0xffffffff, true);
    expect(() => decodeLabelsFrame(huge, LIMITS)).toThrow(/1 to 256 labels; this one says 4294967295/);
    const none = bytes.slice(0, 36);
    new DataView(none.buffer).setUint32(32, 0, true);
    expect(() => decodeLabelsFrame(none, LIMITS)).toThrow(/1 to 256 labels/);
    expect(() => decodeLabelsFrame(bytes.subarray(0, 20), LIMITS)).toThrow(
      /not a split-learning labels frame/,
    );
  });

  it('refuses labels that do not match the activations they come with (count, step, missing)', () => {
    const labels = encodeLabelsFrame(header, [0, 1, 2], 3);
    expect(() => decodeLabelledStep(encodeLabelledStep(labels, activations(2)), LIMITS)).toThrow(
      /labels \(3, step 4\).*for 2 images/,
    );
    expect(() => decodeLabelledStep(encodeLabelledStep(labels, activations(3, 5)), LIMITS)).toThrow(
      /frame of step 5/,
    );
    expect(() => decodeLabelledStep(labels, LIMITS)).toThrow(/activations are missing/);
    // A labels frame whose count lies (says 2, carries 3) leaves a stray byte before the activations.
    const lying = labels.slice();
    new DataView(lying.buffer).setUint32(32, 2, true);
    expect(() => decodeLabelledStep(encodeLabelledStep(lying, activations(3)), LIMITS)).toThrow(
      /not a split-learning cut frame/,
    );
  });
});
