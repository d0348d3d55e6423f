// The reference CNN's WASM training step with the filter gradient's product in our SIMD GEMM and in
// XNNPACK's BatchMatMul (RADFED_WASM_GEMM=0), alternating step by step in one process so that a
// busy shared machine slows both alike; then each layer's filter gradient alone, the same way.
// Prints medians of wall time and of the process's CPU time (both threads' and the worker's).
// Run: node --import tsx bench/wasm-gemm-step.ts [--size 64] [--batch 32] [--steps 20] [--threads 2]
import os from 'node:os';
import { parseArgs } from 'node:util';
import { createModel, selectBackend, tf } from '../main/site/train/index.ts';
import { ownGemmFor } from '../main/site/train/kernels/index.ts';

const { values } = parseArgs({
  options: {
    size: { type: 'string', default: '64' },
    batch: { type: 'string', default: '32' },
    steps: { type: 'string', default: '20' },
    threads: { type: 'string', default: '2' },
  },
});
const size = Number(values.size);
const batch = Number(values.batch);
const steps = Number(values.steps);

const report = await selectBackend({ choice: 'wasm', threads: Number(values.threads) });
// The product's workers start with it; wait for them before timing.
await ownGemmFor(tf.backend())?.ready();
const model = createModel('reference-cnn', { inputSize: size, channels: 1, numClasses: 2, seed: 0 });
const optimizer = tf.train.adam(1e-3);
const x = tf.randomNormal([batch, size, size, 1]) as tf.Tensor4D;
const y = tf.oneHot(
  tf.tensor1d(
    Array.from({ length: batch }, (_, i) => i % 2),
    'int32',
  ),
  2,
);
const trainable = model.parameters.filter((p) => p.trainable).map((p) => p.variable);

const useOwn = (on: boolean) => {
  if (on) delete process.env.RADFED_WASM_GEMM;
  else process.env.RADFED_WASM_GEMM = '0';
};
const median = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1]!;
type Times = { wall: number[]; cpu: number[] };

async function alternate(run: () => Promise<void>, rounds: number) {
  const times: Record<'own' | 'xnnpack', Times> = {
    own: { wall: [], cpu: [] },
    xnnpack: { wall: [], cpu: [] },
  };
  for (let i = 0; i < rounds + 2; i++) {
    for (const own of [true, false]) {
      useOwn(own);
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      await run();
      const c = process.cpuUsage(c0);
      if (i < 2) continue; // warm-up: compiling, the worker's first product
      times[own ? 'own' : 'xnnpack'].wall.push(performance.now() - t0);
      times[own ? 'own' : 'xnnpack'].cpu.push((c.user + c.system) / 1000);
    }
  }
  useOwn(true);
  const m = (t: Times) => ({ wall: median(t.wall), cpu: median(t.cpu) });
  return { own: m(times.own), xnnpack: m(times.xnnpack) };
}
const fmt = (t: Awaited<ReturnType<typeof alternate>>) =>
  `ours ${t.own.wall.toFixed(1)} ms (CPU ${t.own.cpu.toFixed(1)}), XNNPACK ${t.xnnpack.wall.toFixed(1)} ms (CPU ${t.xnnpack.cpu.toFixed(1)})`;

const load0 = os.loadavg()[0]!.toFixed(2);
const whole = await alternate(async () => {
  const loss = optimizer.minimize(
    () => tf.losses.softmaxCrossEntropy(y, model.logits(x, { training: true })) as tf.Scalar,
    true,
    trainable,
  );
  await loss?.data();
  loss?.dispose();
}, steps);

const kernels: string[] = [];
for (const [s, c, f] of [
  [size, 1, 16],
  [size / 2, 16, 32],
  [size / 4, 32, 64],
  [size / 8, 64, 128],
] as const) {
  const input = tf.relu(tf.randomNormal([batch, s, s, c])) as tf.Tensor4D;
  const dy0 = tf.randomNormal([batch, s, s, f]) as tf.Tensor4D;
  const t = await alternate(async () => {
    // A new dy every call, as in training (XNNPACK keeps its packed B per tensor).
    const dy = tf.add(dy0, 0);
    tf.dispose(
      tf.engine().runKernel('Conv2DBackpropFilter', { x: input, dy }, {
        strides: 1,
        pad: 'same',
        dataFormat: 'NHWC',
        filterShape: [3, 3, c, f],
      } as never) as tf.Tensor,
    );
    dy.dispose();
  }, 10);
  kernels.push(`filter gradient ${s}×${s}×${c}→${f}: ${fmt(t)}`);
  tf.dispose([input, dy0]);
}

process.stdout.write(
  [
    `${report.device}; reference CNN, ${size}×${size}, batch ${batch}; medians of ${steps} alternating steps; load ${load0} → ${os.loadavg()[0]!.toFixed(2)}`,
    `step: ${fmt(whole)} (${((batch * 1000) / whole.own.wall).toFixed(1)} vs ${((batch * 1000) / whole.xnnpack.wall).toFixed(1)} images/s)`,
    ...kernels.map((k) => `  ${k}`),
    '',
  ].join('\n'),
);
tf.dispose([x, y]);
model.dispose();
