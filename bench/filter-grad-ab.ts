// The reference CNN's four filter-and-bias gradients (the fused kernel conv-bias-relu's backward pass
// runs) on the grid (kernels/filter-grad-grid.ts) and by im2col (RADFED_WASM_GRID_FILTER_GRAD=0),
// alternating call by call in one process; a new dy every call, as in training. Prints medians of wall
// and CPU time. With --threads 1 the CPU time is the work itself, whatever else the machine runs.
// Run: node --import tsx bench/filter-grad-ab.ts [--size 64] [--batch 32] [--calls 11] [--threads 1]
import os from 'node:os';
import { parseArgs } from 'node:util';
import { selectBackend, tf } from '../main/site/train/index.ts';
import { FILTER_BIAS_GRAD, ownGemmFor } from '../main/site/train/kernels/index.ts';
import { alternate, figure } from './ab-timing.ts';

const { values } = parseArgs({
  options: {
    size: { type: 'string', default: '64' },
    batch: { type: 'string', default: '32' },
    calls: { type: 'string', default: '11' },
    threads: { type: 'string', default: '1' },
  },
});
const [size, batch, calls] = [Number(values.size), Number(values.batch), Number(values.calls)];
const report = await selectBackend({ choice: 'wasm', threads: Number(values.threads) });
await ownGemmFor(tf.backend())?.ready();
const load0 = os.loadavg()[0]!;
const lines: string[] = [];
for (const [side, channels, filters] of [
  [size, 1, 16],
  [size / 2, 16, 32],
  [size / 4, 32, 64],
  [size / 8, 64, 128],
]) {
  const x = tf.relu(tf.randomNormal([batch, side!, side!, channels!])) as tf.Tensor4D;
  const dy0 = tf.randomNormal([batch, side!, side!, filters!]) as tf.Tensor4D;
  const attrs = { strides: 1, pad: 'same', dataFormat: 'NHWC', filterShape: [3, 3, channels, filters] };
  const times = alternate('RADFED_WASM_GRID_FILTER_GRAD', calls, () => {
    const dy = tf.add(dy0, 0); // a new dy every call, as in training
    tf.dispose(tf.engine().runKernel(FILTER_BIAS_GRAD, { x, dy }, attrs as never) as tf.Tensor[]);
    dy.dispose();
  });
  lines.push(
    `  ${side}×${side}×${channels}→${filters}: grid ${figure(times.on)}, im2col ${figure(times.off)}`,
  );
  tf.dispose([x, dy0]);
}
process.stdout.write(
  [
    `${report.device}; filter gradients of the reference CNN at ${size}×${size}, batch ${batch}; medians of ${calls} alternating calls; load ${load0.toFixed(2)} → ${os.loadavg()[0]!.toFixed(2)}`,
    '(where the grid steps aside, both are im2col)',
    ...lines,
    '',
  ].join('\n'),
);
