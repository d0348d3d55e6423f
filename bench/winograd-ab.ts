// The 3×3 convolutions by Winograd's F(2×2, 3×3) (kernels/winograd.ts) against XNNPACK's direct
// convolution (RADFED_WASM_WINOGRAD=0: XNNPACK's forward and input gradient, our grid or im2col
// product for the filter gradient), alternating call by call in one process: the forward pass
// (conv + bias + ReLU, as the reference CNN runs it), the input gradient and the filter and bias
// gradients, layer by layer. With
// --threads 1 the CPU time is the work itself, whatever else the machine runs.
// Run: node --import tsx bench/winograd-ab.ts [--model reference-cnn|resnet-18] [--size 64] [--batch 32]
//        [--calls 11] [--threads 2]
import os from 'node:os';
import { parseArgs } from 'node:util';
import { selectBackend, tf } from '../main/site/train/index.ts';
import { conv2dBiasRelu, FILTER_BIAS_GRAD, ownGemmFor } from '../main/site/train/kernels/index.ts';
import { alternate, figure, median } from './ab-timing.ts';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'reference-cnn' },
    size: { type: 'string', default: '64' },
    batch: { type: 'string', default: '32' },
    calls: { type: 'string', default: '11' },
    threads: { type: 'string', default: '2' },
  },
});
const [size, batch, calls] = [Number(values.size), Number(values.batch), Number(values.calls)];
const report = await selectBackend({ choice: 'wasm', threads: Number(values.threads) });
await ownGemmFor(tf.backend())?.ready();
const load0 = os.loadavg()[0]!;
// [side, in channels, out channels] of each 3×3 stride-1 convolution (ResNet-18: one of each stage's).
const layers =
  values.model === 'resnet-18'
    ? [
        [size / 4, 64, 64],
        [size / 8, 128, 128],
        [size / 16, 256, 256],
        [size / 32, 512, 512],
      ]
    : [
        [size / 2, 16, 32],
        [size / 4, 32, 64],
        [size / 8, 64, 128],
      ];
const lines: string[] = [];
let total = { on: 0, off: 0 };
for (const [side, channels, filters] of layers as [number, number, number][]) {
  const x = tf.relu(tf.randomNormal([batch, side, side, channels])) as tf.Tensor4D;
  const filter = tf.randomNormal([3, 3, channels, filters]) as tf.Tensor4D;
  const bias = tf.randomNormal([filters]) as tf.Tensor1D;
  const dy = tf.randomNormal([batch, side, side, filters]) as tf.Tensor4D;
  const forward = alternate('RADFED_WASM_WINOGRAD', calls, () =>
    tf.dispose(conv2dBiasRelu(x, filter, bias, { strides: 1, pad: 'same' })),
  );
  const attrs = { strides: 1, pad: 'same', dataFormat: 'NHWC', inputShape: x.shape };
  const inputGrad = alternate('RADFED_WASM_WINOGRAD', calls, () =>
    tf.dispose(tf.engine().runKernel('Conv2DBackpropInput', { dy, filter }, attrs as never) as tf.Tensor),
  );
  const filterAttrs = { strides: 1, pad: 'same', dataFormat: 'NHWC', filterShape: filter.shape };
  const filterGrad = alternate('RADFED_WASM_WINOGRAD', calls, () => {
    const fresh = tf.add(dy, 0); // a new dy every call, as in training
    tf.dispose(
      tf.engine().runKernel(FILTER_BIAS_GRAD, { x, dy: fresh }, filterAttrs as never) as tf.Tensor[],
    );
    fresh.dispose();
  });
  const cpu = (t: { cpu: number[] }) => median(t.cpu);
  total = {
    on: total.on + cpu(forward.on) + cpu(inputGrad.on) + cpu(filterGrad.on),
    off: total.off + cpu(forward.off) + cpu(inputGrad.off) + cpu(filterGrad.off),
  };
  lines.push(
    `  ${side}×${side}×${channels}→${filters}: forward Winograd ${figure(forward.on)}, XNNPACK ${figure(forward.off)}; ` +
      `input gradient Winograd ${figure(inputGrad.on)}, XNNPACK ${figure(inputGrad.off)}; ` +
      `filter gradient Winograd ${figure(filterGrad.on)}, ours before ${figure(filterGrad.off)}`,
  );
  tf.dispose([x, filter, bias, dy]);
}
process.stdout.write(
  [
    `${report.device}; ${values.model}'s 3×3 convolutions at ${size}×${size}, batch ${batch}; medians of ${calls} alternating calls; load ${load0.toFixed(2)} → ${os.loadavg()[0]!.toFixed(2)}`,
    ...lines,
    `  all: CPU ${total.on.toFixed(1)} ms Winograd, ${total.off.toFixed(1)} ms before`,
    '',
  ].join('\n'),
);
