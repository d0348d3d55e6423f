// The loss read one step late: each push gives back the previous step's loss, the flush the last one,
// and no tensor is left behind, read or not (a cancelled epoch disposes the one still pending).
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend, tf } from '../backend/index.ts';
import { LossReadback } from './loss-readback.ts';

describe('LossReadback', () => {
  beforeAll(async () => {
    await selectBackend({ choice: 'cpu' });
  });

  it('reads each loss one step late, the last at the flush, and frees every one', async () => {
    const before = tf.memory().numTensors;
    const readback = new LossReadback<number>();
    expect(await readback.push(tf.scalar(0.5), 8)).toBeUndefined();
    expect(await readback.push(tf.scalar(0.25), 4)).toEqual({ value: 0.5, step: 8 });
    expect(tf.memory().numTensors, 'the read loss is freed, the pending one kept').toBe(before + 1);
    expect(await readback.push(tf.scalar(Number.NaN), 2)).toEqual({ value: 0.25, step: 4 });
    const last = await readback.flush();
    expect(last?.step).toBe(2);
    expect(Number.isNaN(last?.value)).toBe(true);
    expect(await readback.flush()).toBeUndefined();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('frees the loss still pending when an epoch ends early', async () => {
    const before = tf.memory().numTensors;
    const readback = new LossReadback<number>();
    await readback.push(tf.scalar(1), 1);
    readback.dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect(await readback.flush()).toBeUndefined();
  });
});
