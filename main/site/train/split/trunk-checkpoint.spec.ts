// The trunk checkpoint's format lives in shared/ (the hub's export reads it); the trunk keeper still
// reads and writes it here. Pinned: its weights section is the site's radfed-weights format, byte for
// byte (so checkpoints written before the format moved still read), and damaged bytes are a TrainError
// that says how to start the trunk again.
import { describe, expect, it } from 'vitest';
import { decodeWeights } from '../models/index.ts';
import { decodeTrunkState, encodeTrunkState } from './trunk-checkpoint.ts';

const state = {
  appliedSteps: 4,
  tensors: [
    { name: 'conv3/kernel', shape: [2, 2], values: Float32Array.from([1, -2, 3.5, 4]), trainable: true },
    { name: 'conv3/kernel/adam-m', shape: [4], values: Float32Array.from([0, 0.25, 0, 1]), trainable: false },
  ],
  sessions: [{ session: 'a'.repeat(32), step: 3, answer: Uint8Array.from([9, 8, 7]) }],
};

describe('the trunk checkpoint', () => {
  it('round-trips, with its weights in the radfed-weights format the site engine reads', () => {
    const bytes = encodeTrunkState(state);
    expect(decodeTrunkState(bytes)).toEqual(state);
    const indexLength = new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, true);
    const index = JSON.parse(new TextDecoder().decode(bytes.subarray(4, 4 + indexLength)));
    const weights = bytes.subarray(4 + indexLength, 4 + indexLength + index.weightsBytes);
    expect(decodeWeights(index.weights, weights).tensors).toEqual(state.tensors);
    expect(index.weights.meta).toEqual({ kind: 'split-trunk' });
  });

  it('refuses damaged bytes with a TrainError that says to start the trunk again', () => {
    const bytes = encodeTrunkState(state);
    const indexLength = new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, true);
    const flipped = bytes.slice();
    flipped[4 + indexLength] = flipped[4 + indexLength]! ^ 0xff; // the first weight's first byte
    expect(() => decodeTrunkState(flipped)).toThrow(
      expect.objectContaining({
        name: 'TrainError',
        code: 'invalid-checkpoint',
        message: expect.stringMatching(/weights are damaged.*start its trunk again/),
      }),
    );
    expect(() => decodeTrunkState(bytes.subarray(0, 10))).toThrow(/truncated/);
  });
});
