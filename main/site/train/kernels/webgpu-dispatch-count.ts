// Counts the compute dispatches the WebGPU adapter receives while `run` runs: tfjs's kernels and our
// own WGSL alike (tf.profile lists only the kernels that go through tfjs's engine). For the specs and
// the benchmarks: it wraps the adapter's GPUComputePassEncoder for the time of the call.
interface PassPrototype {
  dispatchWorkgroups(this: unknown, ...args: number[]): void;
}

export async function countGpuDispatches(run: () => unknown): Promise<number> {
  const encoder = (globalThis as { GPUComputePassEncoder?: { prototype: PassPrototype } })
    .GPUComputePassEncoder;
  if (!encoder) throw new Error('No WebGPU adapter is loaded: select the webgpu backend first.');
  const prototype = encoder.prototype;
  const original = prototype.dispatchWorkgroups;
  let count = 0;
  prototype.dispatchWorkgroups = function (this: unknown, ...args: number[]) {
    count++;
    return original.apply(this, args);
  };
  try {
    await run();
    return count;
  } finally {
    prototype.dispatchWorkgroups = original;
  }
}
