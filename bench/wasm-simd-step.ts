// The reference CNN's training step on WebAssembly with our SIMD kernels and with the JavaScript loops
// they replaced (RADFED_WASM_SIMD_KERNELS=0), alternating step by step in one process, so that a busy
// shared machine slows both alike; prints the median step time of each and the MaxPoolGrad and
// filter-gradient kernels timed alone the same way.
// Run: node --import tsx bench/wasm-simd-step.ts [--size 64] [--batch 32] [--steps 40] [--threads 2]
import { alternateSwitch, filterGradient, tf, wasmStepSetUp, type Medians } from './wasm-ab-step.ts';

const { report, size, batch, steps, step, convolutions, dispose } = await wasmStepSetUp(40);
const SWITCH = 'RADFED_WASM_SIMD_KERNELS';
const whole = await alternateSwitch(SWITCH, step, steps);

const kernels: string[] = [];
for (const [s, c, f] of convolutions) {
  const input = tf.relu(tf.randomNormal([batch, s, s, c])) as tf.Tensor4D;
  const dy = tf.randomNormal([batch, s, s, f]) as tf.Tensor4D;
  const filterGrad = await alternateSwitch(SWITCH, async () => filterGradient(input, dy, c, f), 10);
  kernels.push(`filter gradient ${s}×${s}×${c}→${f}: ${fmt(filterGrad)}`);
  if (s > size / 8) {
    // The pool after this convolution: over its ReLU output, f channels.
    const activations = tf.relu(tf.randomNormal([batch, s, s, f])) as tf.Tensor4D;
    const pooledGrad = tf.randomNormal([batch, s / 2, s / 2, f]);
    const pool = await alternateSwitch(
      SWITCH,
      async () => {
        tf.dispose(
          tf.engine().runKernel('MaxPoolGrad', { dy: pooledGrad, input: activations, output: activations }, {
            filterSize: 2,
            strides: 2,
            pad: 'valid',
          } as never) as tf.Tensor,
        );
      },
      10,
    );
    kernels.push(`MaxPoolGrad ${s}×${s}×${f}: ${fmt(pool)}`);
    tf.dispose([pooledGrad, activations]);
  }
  tf.dispose([input, dy]);
}

function fmt(t: { on: Medians; off: Medians }): string {
  return `SIMD ${t.on.wall.toFixed(2)} ms, JavaScript ${t.off.wall.toFixed(2)} ms`;
}

process.stdout.write(
  [
    `${report.device}; reference CNN, ${size}×${size}, batch ${batch}; medians of ${steps} alternating steps`,
    `step: ${fmt(whole)} (${((batch * 1000) / whole.on.wall).toFixed(1)} vs ${((batch * 1000) / whole.off.wall).toFixed(1)} images/s)`,
    ...kernels.map((k) => `  ${k}`),
    '',
  ].join('\n'),
);
dispose();
