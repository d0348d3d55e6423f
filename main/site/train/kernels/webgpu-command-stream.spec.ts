// The grid of a fused dispatch covers every element exactly once, also past the adapter's limit of
// workgroups per dimension, where the WGSL's element index spans y (no GPU needed: the index is the
// WGSL's formula, evaluated here for every invocation).
import { describe, expect, it } from 'vitest';
import { WORKGROUP_SIZE, workgroupGrid } from './webgpu-command-stream.ts';

function elementsReached(elements: number, limit: number): number[] {
  const [x, y] = workgroupGrid(elements, limit);
  expect(x).toBeLessThanOrEqual(limit);
  expect(y).toBeLessThanOrEqual(limit);
  const reached = new Array<number>(elements).fill(0);
  for (let gy = 0; gy < y; gy++) {
    for (let idx = 0; idx < x * WORKGROUP_SIZE; idx++) {
      const i = gy * x * WORKGROUP_SIZE + idx; // `let i = id.y * groups.x * 256u + id.x;`
      if (i < elements) reached[i]!++;
    }
  }
  return reached;
}

describe('fused dispatch grid', () => {
  it('reaches every element once, within one row of workgroups or spread over several', () => {
    for (const [elements, limit] of [
      [1, 65535],
      [257, 65535],
      [65537, 65535],
      [65537, 20], // 257 workgroups over rows of 20: the y spread of a tensor past 16.7 M elements
      [5000, 5],
    ] as const) {
      expect(new Set(elementsReached(elements, limit)), `${elements} over ${limit}`).toEqual(new Set([1]));
    }
    expect(workgroupGrid(65535 * 256 + 1, 65535)).toEqual([65535, 2]);
  });
});
