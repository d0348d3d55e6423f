// What the WebAssembly A/B benchmarks share (bench/wasm-gemm-step.ts, bench/wasm-simd-step.ts): the
// command line, the reference CNN with one batch of noise and its training step (noiseTrainingStep, as
// the demo's time estimate has them), the filter-gradient kernel of each convolution, and the timer that
// runs a piece of work with one of our kernels on and off (an environment switch set to '0'),
// alternating call by call in one process so that a busy shared machine slows both alike.
import { parseArgs } from 'node:util';
import { noiseTrainingStep, selectBackend, tf } from '../main/site/train/index.ts';

export { tf };

/** The reference CNN on the WASM backend, a batch of noise and its labels, from the command line. */
export async function wasmStepSetUp(defaultSteps: number) {
  const { values } = parseArgs({
    options: {
      size: { type: 'string', default: '64' },
      batch: { type: 'string', default: '32' },
      steps: { type: 'string', default: String(defaultSteps) },
      threads: { type: 'string', default: '2' },
    },
  });
  const size = Number(values.size);
  const batch = Number(values.batch);
  const steps = Number(values.steps);
  const report = await selectBackend({ choice: 'wasm', threads: Number(values.threads) });
  const { step, dispose } = noiseTrainingStep('reference-cnn', size, batch);
  /** Each convolution's input side, input channels and filters: [side, channels, filters]. */
  const convolutions = [
    [size, 1, 16],
    [size / 2, 16, 32],
    [size / 4, 32, 64],
    [size / 8, 64, 128],
  ] as const;
  return { report, size, batch, steps, step, convolutions, dispose };
}

/** One 3×3 'same' filter gradient of `channels` → `filters`, its result disposed. */
export function filterGradient(input: tf.Tensor4D, dy: tf.Tensor4D, channels: number, filters: number): void {
  tf.dispose(
    tf.engine().runKernel('Conv2DBackpropFilter', { x: input, dy }, {
      strides: 1,
      pad: 'same',
      dataFormat: 'NHWC',
      filterShape: [3, 3, channels, filters],
    } as never) as tf.Tensor,
  );
}

/** Medians in milliseconds: wall time, and the process's CPU time (all its threads and workers). */
export interface Medians {
  readonly wall: number;
  readonly cpu: number;
}

const median = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1]!;

/**
 * Runs `run` with `switchName` unset (ours on) and set to '0' (off), alternating, `rounds` times each
 * after two warm-up rounds (compiling, a worker's first product); leaves the switch unset.
 */
export async function alternateSwitch(
  switchName: string,
  run: () => Promise<void>,
  rounds: number,
): Promise<{ on: Medians; off: Medians }> {
  const times = {
    on: { wall: [] as number[], cpu: [] as number[] },
    off: { wall: [] as number[], cpu: [] as number[] },
  };
  for (let i = 0; i < rounds + 2; i++) {
    for (const on of [true, false]) {
      if (on) delete process.env[switchName];
      else process.env[switchName] = '0';
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      await run();
      const c = process.cpuUsage(c0);
      if (i < 2) continue;
      times[on ? 'on' : 'off'].wall.push(performance.now() - t0);
      times[on ? 'on' : 'off'].cpu.push((c.user + c.system) / 1000);
    }
  }
  delete process.env[switchName];
  const m = (t: { wall: number[]; cpu: number[] }) => ({ wall: median(t.wall), cpu: median(t.cpu) });
  return { on: m(times.on), off: m(times.off) };
}
