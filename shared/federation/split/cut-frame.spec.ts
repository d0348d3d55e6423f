// The cut frame codec: what a site sends is what the hub reads (header exactly, values within the
// dtype's precision), and hostile or damaged bytes are refused with a sentence before any large
// allocation: another format, a short or padded frame, an impossible shape, NaN and infinity.
import { describe, expect, it } from 'vitest';
import {
  CutFrameError,
  decodeCutFrame,
  encodeCutFrame,
  type CutFrameDtype,
  type CutFrameHeader,
} from './index.ts';

const header = (dtype: CutFrameDtype, shape: number[] = [2, 3, 4, 5]): CutFrameHeader => ({
  kind: 'cut1-activations',
  session: '0123456789abcdef0123456789abcdef',
  step: 4_000_000_001,
  batch: 17,
  shape,
  dtype,
});

function ramp(count: number): Float32Array {
  return Float32Array.from({ length: count }, (_, i) => Math.sin(i) * (1 + i / 10));
}

function refusal(run: () => unknown): CutFrameError {
  try {
    run();
  } catch (error) {
    if (error instanceof CutFrameError) return error;
    throw error;
  }
  throw new Error('expected a CutFrameError');
}

describe('the cut frame', () => {
  it('round-trips the header exactly and float32 values bit for bit', () => {
    const values = ramp(120);
    const bytes = encodeCutFrame(header('float32'), values);
    expect(bytes.length).toBe(32 + 4 * 4 + 120 * 4);
    const frame = decodeCutFrame(bytes);
    expect(frame.header).toEqual(header('float32'));
    expect(frame.values).toEqual(values);
  });

  it('float16 halves the payload and keeps each value to its 11-bit precision, at any magnitude', () => {
    // Gradients at a cut are often near 1e-6, where unscaled float16 is subnormal or zero; activations
    // can pass 65504, float16's largest value. The frame's scale carries both.
    for (const magnitude of [1, 1e-7, 1e6]) {
      const values = ramp(120).map((value) => value * magnitude);
      const bytes = encodeCutFrame(header('float16'), values);
      expect(bytes.length).toBe(32 + 16 + 4 + 120 * 2);
      const { values: back } = decodeCutFrame(bytes);
      values.forEach((value, i) =>
        expect(Math.abs(back[i]! - value), `${magnitude}`).toBeLessThanOrEqual(Math.abs(value) * 2 ** -11),
      );
    }
  });

  it('int8 quarters the payload: within half a step of max|v|/127, and zero stays zero', () => {
    const values = ramp(120);
    values[5] = 0;
    const bytes = encodeCutFrame(header('int8'), values);
    expect(bytes.length).toBe(32 + 16 + 4 + 120);
    const { values: back } = decodeCutFrame(bytes);
    const step = Math.max(...values.map(Math.abs)) / 127;
    values.forEach((value, i) => expect(Math.abs(back[i]! - value)).toBeLessThanOrEqual(step / 2 + 1e-7));
    expect(back[5]).toBe(0);
    expect(decodeCutFrame(encodeCutFrame(header('int8', [3]), new Float32Array(3))).values).toEqual(
      new Float32Array(3),
    );
  });

  it('refuses to send NaN, infinity, a count that is not the shape, or a bad header', () => {
    for (const bad of [NaN, Infinity, -Infinity]) {
      const values = ramp(120);
      values[60] = bad;
      for (const dtype of ['float32', 'float16', 'int8'] as const)
        expect(refusal(() => encodeCutFrame(header(dtype), values)).code).toBe('not-finite');
    }
    expect(refusal(() => encodeCutFrame(header('float32'), ramp(119))).message).toMatch(
      /holds 120 values, but 119/,
    );
    expect(
      refusal(() => encodeCutFrame({ ...header('float32'), session: 'SESSION', step: -1 }, ramp(120)))
        .message,
    ).toMatch(/session id must be 32 lowercase hex digits; the step must be a whole number/);
  });

  it('refuses received bytes of another format or version, or whose length disagrees with the shape', () => {
    const bytes = encodeCutFrame(header('float16'), ramp(120));
    expect(refusal(() => decodeCutFrame(new TextEncoder().encode('{"json": true}'))).message).toMatch(
      /no RFCF header/,
    );
    expect(refusal(() => decodeCutFrame(bytes.subarray(0, 20))).code).toBe('bad-frame');
    const later = bytes.slice();
    later[4] = 2;
    expect(refusal(() => decodeCutFrame(later)).message).toMatch(/version 2; this program reads version 1/);
    expect(refusal(() => decodeCutFrame(bytes.subarray(0, bytes.length - 1))).message).toMatch(
      /is 291 bytes, but its header describes 292/,
    );
    const padded = new Uint8Array(bytes.length + 2);
    padded.set(bytes);
    expect(refusal(() => decodeCutFrame(padded)).message).toMatch(/cut short or padded/);
    const unknownKind = bytes.slice();
    unknownKind[5] = 9;
    expect(refusal(() => decodeCutFrame(unknownKind)).message).toMatch(/unknown kind/);
    const rank = bytes.slice();
    rank[7] = 0;
    expect(refusal(() => decodeCutFrame(rank)).message).toMatch(/1 to 6 axes, not 0/);
  });

  it('refuses a huge or empty shape from its header alone, before allocating for it', () => {
    const bytes = encodeCutFrame(header('float32', [4]), ramp(4));
    const view = new DataView(bytes.buffer);
    view.setUint32(32, 0xffffffff, true);
    const huge = refusal(() => decodeCutFrame(bytes));
    expect(huge.code).toBe('frame-too-large');
    expect(huge.message).toMatch(/more than 16777216 values.*smaller batch or a deeper cut/);
    view.setUint32(32, 0, true);
    expect(refusal(() => decodeCutFrame(bytes)).message).toMatch(/not a whole number of at least 1/);
    // A caller's own, tighter bound.
    expect(
      refusal(() => decodeCutFrame(encodeCutFrame(header('int8'), ramp(120)), { maxValues: 100 })).code,
    ).toBe('frame-too-large');
  });

  it('refuses received NaN or infinity in every dtype, and a damaged int8 scale', () => {
    const f32 = encodeCutFrame(header('float32', [3]), ramp(3));
    new DataView(f32.buffer).setFloat32(36 + 4, NaN, true);
    expect(refusal(() => decodeCutFrame(f32)).code).toBe('not-finite');
    const f16 = encodeCutFrame(header('float16', [3]), ramp(3));
    new DataView(f16.buffer).setUint16(40 + 2, 0x7c00, true); // +infinity
    expect(refusal(() => decodeCutFrame(f16)).message).toMatch(
      /not a finite number.*lower the learning rate/,
    );
    const i8 = encodeCutFrame(header('int8', [3]), ramp(3));
    new DataView(i8.buffer).setFloat32(36, Infinity, true);
    expect(refusal(() => decodeCutFrame(i8)).code).toBe('not-finite');
    const scaled = encodeCutFrame(header('float16', [3]), ramp(3));
    new DataView(scaled.buffer).setFloat32(36, NaN, true);
    expect(refusal(() => decodeCutFrame(scaled)).code).toBe('not-finite');
  });

  it('refuses a finite scale that overflows float32 once applied (int8 and float16)', () => {
    // 3e38 is a finite float32, but 127 or 65504 times it is not: the values would decode to infinity.
    for (const dtype of ['int8', 'float16'] as const) {
      const bytes = encodeCutFrame(header(dtype, [3]), Float32Array.from([1, -1, 0.5]));
      new DataView(bytes.buffer).setFloat32(36, 3e38, true);
      expect(refusal(() => decodeCutFrame(bytes)).code, dtype).toBe('not-finite');
    }
  });
});
