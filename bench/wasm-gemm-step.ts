// The reference CNN's WASM training step with the filter gradient's product in our SIMD GEMM and in
// XNNPACK's BatchMatMul (RADFED_WASM_GEMM=0), alternating step by step in one process so that a
// busy shared machine slows both alike; then each layer's filter gradient alone, the same way.
// Prints medians of wall time and of the process's CPU time (both threads' and the worker's).
// Run: node --import tsx bench/wasm-gemm-step.ts [--size 64] [--batch 32] [--steps 20] [--threads 2]
import os from 'node:os';
import { ownGemmFor } from '../main/site/train/kernels/index.ts';
import { alternateSwitch, filterGradient, tf, wasmStepSetUp, type Medians } from './wasm-ab-step.ts';

const { report, size, batch, steps, step, convolutions, dispose } = await wasmStepSetUp(20);
// The product's workers start with it; wait for them before timing.
await ownGemmFor(tf.backend())?.ready();

const fmt = (t: { on: Medians; off: Medians }) =>
  `ours ${t.on.wall.toFixed(1)} ms (CPU ${t.on.cpu.toFixed(1)}), XNNPACK ${t.off.wall.toFixed(1)} ms (CPU ${t.off.cpu.toFixed(1)})`;

const load0 = os.loadavg()[0]!.toFixed(2);
const whole = await alternateSwitch('RADFED_WASM_GEMM', step, steps);

const kernels: string[] = [];
for (const [s, c, f] of convolutions) {
  const input = tf.relu(tf.randomNormal([batch, s, s, c])) as tf.Tensor4D;
  const dy0 = tf.randomNormal([batch, s, s, f]) as tf.Tensor4D;
  const t = await alternateSwitch(
    'RADFED_WASM_GEMM',
    async () => {
      // A new dy every call, as in training (XNNPACK keeps its packed B per tensor).
      const dy = tf.add(dy0, 0) as tf.Tensor4D;
      filterGradient(input, dy, c, f);
      dy.dispose();
    },
    10,
  );
  kernels.push(`filter gradient ${s}×${s}×${c}→${f}: ${fmt(t)}`);
  tf.dispose([input, dy0]);
}

process.stdout.write(
  [
    `${report.device}; reference CNN, ${size}×${size}, batch ${batch}; medians of ${steps} alternating steps; load ${load0} → ${os.loadavg()[0]!.toFixed(2)}`,
    `step: ${fmt(whole)} (${((batch * 1000) / whole.on.wall).toFixed(1)} vs ${((batch * 1000) / whole.off.wall).toFixed(1)} images/s)`,
    ...kernels.map((k) => `  ${k}`),
    '',
  ].join('\n'),
);
dispose();
