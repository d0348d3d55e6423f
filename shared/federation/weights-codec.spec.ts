import { describe, expect, it } from 'vitest';
import { FederationError } from './errors.ts';
import { float16BitsToFloat32, float32ToFloat16Bits } from './float16.ts';
import type { NamedTensor } from './tensors.ts';
import { decodeWeights, decodeWeightsWithInfo, encodeWeights } from './weights-codec.ts';

function randomTensors(seed: number, scale = 1): NamedTensor[] {
  let state = seed;
  const random = () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return (state / 2 ** 32 - 0.5) * 2 * scale;
  };
  return [
    { name: 'conv/kernel', shape: [3, 3, 2, 5], data: Float32Array.from({ length: 90 }, random) },
    { name: 'conv/bias', shape: [5], data: Float32Array.from({ length: 5 }, random) },
    { name: 'scalar', shape: [], data: Float32Array.of(random()) },
    { name: 'zeros', shape: [7], data: new Float32Array(7) },
  ];
}

describe('float16 conversion (IEEE binary16, round to nearest even)', () => {
  it('converts known values exactly', () => {
    expect(float32ToFloat16Bits(1)).toBe(0x3c00);
    expect(float32ToFloat16Bits(-2)).toBe(0xc000);
    expect(float32ToFloat16Bits(65504)).toBe(0x7bff);
    expect(float32ToFloat16Bits(2 ** -24)).toBe(0x0001); // smallest subnormal
    expect(float32ToFloat16Bits(2 ** -14)).toBe(0x0400); // smallest normal
    expect(float32ToFloat16Bits(65520)).toBe(0x7c00); // rounds up to infinity
    expect(float32ToFloat16Bits(-0)).toBe(0x8000);
    expect(Number.isNaN(float16BitsToFloat32(float32ToFloat16Bits(NaN)))).toBe(true);
  });

  it('breaks ties to even', () => {
    expect(float32ToFloat16Bits(1 + 2 ** -11)).toBe(0x3c00); // halfway between 1 and next: keep even 1
    expect(float32ToFloat16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02); // halfway, odd below: round up
    expect(float32ToFloat16Bits(2 ** -25)).toBe(0x0000); // halfway to the smallest subnormal: even is 0
    expect(float32ToFloat16Bits(3 * 2 ** -25)).toBe(0x0002);
  });

  it('round-trips every finite half exactly', () => {
    for (let bits = 0; bits < 0x7c00; bits += 1) {
      expect(float32ToFloat16Bits(float16BitsToFloat32(bits))).toBe(bits);
    }
  });
});

describe('weights codec (RFW1)', () => {
  it('round-trips float32 exactly, names, shapes and order included', () => {
    const weights = randomTensors(7);
    const decoded = decodeWeightsWithInfo(encodeWeights(weights, 'none'));
    expect(decoded.compression).toBe('none');
    expect(decoded.weights.map((t) => [t.name, t.shape])).toEqual(weights.map((t) => [t.name, t.shape]));
    decoded.weights.forEach((tensor, i) =>
      expect(Array.from(tensor.data)).toEqual(Array.from(weights[i]!.data)),
    );
  });

  it('float16: relative error at most 2^-11 for normal values, half the size', () => {
    const weights = randomTensors(11, 10);
    const bytes = encodeWeights(weights, 'float16');
    expect(bytes.byteLength).toBeLessThan(encodeWeights(weights, 'none').byteLength * 0.8);
    const decoded = decodeWeightsWithInfo(bytes);
    expect(decoded.compression).toBe('float16');
    decoded.weights.forEach((tensor, i) => {
      tensor.data.forEach((value, j) => {
        const original = weights[i]!.data[j]!;
        if (Math.abs(original) >= 2 ** -14)
          expect(Math.abs(value - original)).toBeLessThanOrEqual(Math.abs(original) * 2 ** -11);
        else expect(Math.abs(value - original)).toBeLessThanOrEqual(2 ** -25);
      });
    });
  });

  it('int8: error per value at most maxAbs/254 of its tensor', () => {
    const weights = randomTensors(13, 3);
    const decoded = decodeWeightsWithInfo(encodeWeights(weights, 'int8'));
    expect(decoded.compression).toBe('int8');
    decoded.weights.forEach((tensor, i) => {
      const original = weights[i]!.data;
      const maxAbs = original.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      const bound = maxAbs / 254 + maxAbs * 1e-6;
      tensor.data.forEach((value, j) => expect(Math.abs(value - original[j]!)).toBeLessThanOrEqual(bound));
      if (maxAbs > 0)
        expect(tensor.data.reduce((m, v) => Math.max(m, Math.abs(v)), 0)).toBeCloseTo(maxAbs, 5);
    });
    // All-zero tensors stay zero (scale 0, no division by zero).
    expect(Array.from(decoded.weights[3]!.data)).toEqual(new Array(7).fill(0));
  });

  it('refuses to compress values it cannot carry, naming the tensor', () => {
    const withNaN = [{ name: 'dense/kernel', shape: [2], data: Float32Array.of(1, NaN) }];
    expect(() => encodeWeights(withNaN, 'int8')).toThrow(/dense\/kernel.*not finite/);
    expect(() => encodeWeights(withNaN, 'float16')).toThrow(FederationError);
    const huge = [{ name: 'big', shape: [1], data: Float32Array.of(1e6) }];
    expect(() => encodeWeights(huge, 'float16')).toThrow(/float16 range/);
    expect(decodeWeights(encodeWeights(huge, 'int8'))[0]!.data[0]).toBeCloseTo(1e6, -1);
  });

  it('rejects bytes that are not weights, truncated or inconsistent', () => {
    const good = encodeWeights(randomTensors(3), 'none');
    expect(() => decodeWeights(new TextEncoder().encode('hello world, not weights'))).toThrow(/RFW1 marker/);
    expect(() => decodeWeights(good.subarray(0, good.byteLength - 8))).toThrow(/runs past the end/);
    const badShape = [{ name: 'x', shape: [3], data: new Float32Array(2) }];
    expect(() => encodeWeights(badShape)).toThrow(/needs 3/);
  });

  it('decodes from an unaligned view of a larger buffer', () => {
    const encoded = encodeWeights(randomTensors(5), 'float16');
    const padded = new Uint8Array(encoded.byteLength + 3);
    padded.set(encoded, 3);
    const view = Buffer.from(padded.buffer, 3, encoded.byteLength);
    expect(decodeWeights(view).map((t) => t.name)).toEqual(decodeWeights(encoded).map((t) => t.name));
  });
});
