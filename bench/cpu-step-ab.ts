// The training step `radfed bench train` times (a model from the registry, FusedAdam, one batch of
// noise, the loss read back), on WebAssembly with one of our changes on and off, alternating step by
// step in one process so that a busy shared machine slows both alike. A change is off where its
// environment switch is '0' (RADFED_WASM_SHARED_IDENTITY, RADFED_WASM_RELU_GRAD,
// RADFED_WASM_GRID_FILTER_GRAD, RADFED_WASM_POOL_RELU_GRAD, RADFED_WASM_BATCH_NORM, RADFED_WASM_GEMM,
// RADFED_WASM_SIMD_KERNELS); several --switch are turned off together. Prints medians of wall and CPU
// time (all threads, the product's worker included: on a loaded machine the figure that carries) and
// the 1-minute load before and after (docs/benchmarks.md, "The CPU step: …").
// Run: node --import tsx bench/cpu-step-ab.ts --switch RADFED_WASM_SHARED_IDENTITY [--model reference-cnn]
//        [--size 64] [--batch 32] [--steps 20] [--threads 2]
import os from 'node:os';
import { parseArgs } from 'node:util';
import { createModel, selectBackend, tf } from '../main/site/train/index.ts';
import { ownGemmFor } from '../main/site/train/kernels/index.ts';
import { FusedAdam } from '../main/site/train/trainer/index.ts';

const { values } = parseArgs({
  options: {
    switch: { type: 'string', multiple: true, default: [] },
    model: { type: 'string', default: 'reference-cnn' },
    size: { type: 'string', default: '64' },
    batch: { type: 'string', default: '32' },
    steps: { type: 'string', default: '20' },
    threads: { type: 'string', default: '2' },
  },
});
const switches = values.switch;
if (switches.length === 0) throw new Error('Name the change to compare with --switch RADFED_…');
const [size, batch, steps] = [Number(values.size), Number(values.batch), Number(values.steps)];
const report = await selectBackend({ choice: 'wasm', threads: Number(values.threads) });
await ownGemmFor(tf.backend())?.ready();

const model = createModel(values.model, { inputSize: size, channels: 1, numClasses: 2, seed: 0 });
const optimizer = new FusedAdam(1e-3);
const x = tf.randomNormal([batch, size, size, 1]) as tf.Tensor4D;
const labels = tf.oneHot(
  tf.tensor1d(
    Int32Array.from({ length: batch }, (_, i) => i % 2),
    'int32',
  ),
  2,
);
const trainable = model.parameters.filter((p) => p.trainable);
const step = async () => {
  const loss = optimizer.minimize(
    () => tf.losses.softmaxCrossEntropy(labels, model.logits(x, { training: true })) as tf.Scalar,
    trainable,
  );
  await loss.data();
  loss.dispose();
};

const median = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1]!;
const times = {
  on: { wall: [] as number[], cpu: [] as number[] },
  off: { wall: [] as number[], cpu: [] as number[] },
};
const load0 = os.loadavg()[0]!;
for (let i = 0; i < steps + 2; i++) {
  for (const on of [true, false]) {
    for (const name of switches) {
      if (on) delete process.env[name];
      else process.env[name] = '0';
    }
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await step();
    const c = process.cpuUsage(c0);
    if (i < 2) continue; // warm-up: compiling, the product's first calls
    times[on ? 'on' : 'off'].wall.push(performance.now() - t0);
    times[on ? 'on' : 'off'].cpu.push((c.user + c.system) / 1000);
  }
}
for (const name of switches) delete process.env[name];
const figure = (t: { wall: number[]; cpu: number[] }) =>
  `${median(t.wall).toFixed(1)} ms (CPU ${median(t.cpu).toFixed(1)} ms, ${((batch * 1000) / median(t.wall)).toFixed(1)} images/s)`;
process.stdout.write(
  [
    `${report.device}; ${values.model}, ${size}×${size}, batch ${batch}; medians of ${steps} alternating steps; load ${load0.toFixed(2)} → ${os.loadavg()[0]!.toFixed(2)}`,
    `  on:  ${figure(times.on)}`,
    `  off (${switches.join(', ')}=0): ${figure(times.off)}`,
    '',
  ].join('\n'),
);
tf.dispose([x, labels]);
optimizer.dispose();
model.dispose();
