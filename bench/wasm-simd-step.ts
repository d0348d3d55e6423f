// The reference CNN's training step on WebAssembly with our SIMD kernels and with the JavaScript loops
// they replaced (RADFED_WASM_SIMD_KERNELS=0), alternating step by step in one process, so that a busy
// shared machine slows both alike; prints the median step time of each and the MaxPoolGrad and
// filter-gradient kernels timed alone the same way.
// Run: node --import tsx bench/wasm-simd-step.ts [--size 64] [--batch 32] [--steps 40] [--threads 2]
import { parseArgs } from 'node:util';
import { createModel, selectBackend, tf } from '../main/site/train/index.ts';

const { values } = parseArgs({
  options: {
    size: { type: 'string', default: '64' },
    batch: { type: 'string', default: '32' },
    steps: { type: 'string', default: '40' },
    threads: { type: 'string', default: '2' },
  },
});
const size = Number(values.size);
const batch = Number(values.batch);
const steps = Number(values.steps);

const report = await selectBackend({ choice: 'wasm', threads: Number(values.threads) });
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

const useSimd = (on: boolean) => {
  if (on) delete process.env.RADFED_WASM_SIMD_KERNELS;
  else process.env.RADFED_WASM_SIMD_KERNELS = '0';
};
const median = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1]!;

async function timeAlternating(run: () => Promise<void>, rounds: number) {
  const times = { simd: [] as number[], js: [] as number[] };
  for (let i = 0; i < rounds + 2; i++) {
    for (const on of [true, false]) {
      useSimd(on);
      const t0 = performance.now();
      await run();
      if (i >= 2) times[on ? 'simd' : 'js'].push(performance.now() - t0);
    }
  }
  useSimd(true);
  return { simd: median(times.simd), js: median(times.js) };
}

const step = async () => {
  const loss = optimizer.minimize(
    () => tf.losses.softmaxCrossEntropy(y, model.logits(x, { training: true })) as tf.Scalar,
    true,
    trainable,
  );
  await loss?.data();
  loss?.dispose();
};
const whole = await timeAlternating(step, steps);

const kernels: string[] = [];
for (const [s, c, f] of [
  [size, 1, 16],
  [size / 2, 16, 32],
  [size / 4, 32, 64],
  [size / 8, 64, 128],
] as const) {
  const input = tf.relu(tf.randomNormal([batch, s, s, c])) as tf.Tensor4D;
  const dy = tf.randomNormal([batch, s, s, f]) as tf.Tensor4D;
  const filterGrad = await timeAlternating(async () => {
    tf.dispose(
      tf.engine().runKernel('Conv2DBackpropFilter', { x: input, dy }, {
        strides: 1,
        pad: 'same',
        dataFormat: 'NHWC',
        filterShape: [3, 3, c, f],
      } as never) as tf.Tensor,
    );
  }, 10);
  kernels.push(`filter gradient ${s}×${s}×${c}→${f}: ${fmt(filterGrad)}`);
  if (s > size / 8) {
    // The pool after this convolution: over its ReLU output, f channels.
    const activations = tf.relu(tf.randomNormal([batch, s, s, f])) as tf.Tensor4D;
    const pooledGrad = tf.randomNormal([batch, s / 2, s / 2, f]);
    const pool = await timeAlternating(async () => {
      tf.dispose(
        tf.engine().runKernel('MaxPoolGrad', { dy: pooledGrad, input: activations, output: activations }, {
          filterSize: 2,
          strides: 2,
          pad: 'valid',
        } as never) as tf.Tensor,
      );
    }, 10);
    kernels.push(`MaxPoolGrad ${s}×${s}×${f}: ${fmt(pool)}`);
    tf.dispose([pooledGrad, activations]);
  }
  tf.dispose([input, dy]);
}

function fmt(t: { simd: number; js: number }): string {
  return `SIMD ${t.simd.toFixed(2)} ms, JavaScript ${t.js.toFixed(2)} ms`;
}

process.stdout.write(
  [
    `${report.device}; reference CNN, ${size}×${size}, batch ${batch}; medians of ${steps} alternating steps`,
    `step: ${fmt(whole)} (${((batch * 1000) / whole.simd).toFixed(1)} vs ${((batch * 1000) / whole.js).toFixed(1)} images/s)`,
    ...kernels.map((k) => `  ${k}`),
    '',
  ].join('\n'),
);
tf.dispose([x, y]);
model.dispose();
