// Our WebAssembly SIMD product (main/site/train/kernels/simd-gemm.ts) against XNNPACK's (tfjs wasm
// BatchMatMul, the product the filter gradient calls) on the reference CNN's real shapes at S = 64,
// batch 32, one thread each, alternating call by call in one process so that a busy shared machine
// slows both alike. Prints GFLOP/s (2·m·k·n per product) as the median of the rounds, and the ratio.
// Shapes: the four filter-gradient products (im2col rows × batch pixels by batch pixels × filters),
// the forward convolutions and the input gradients as im2col products (pixels × 9·channels by
// 9·channels × filters), and XNNPACK's own forward convolution on the same layer, for reference.
// Run: node --import tsx bench/wasm-gemm.ts [--rounds 9] [--sweep] [--only filter|forward|input]
import { parseArgs } from 'node:util';
import { selectBackend, tf } from '../main/site/train/index.ts';
import {
  backendMemory,
  defaultTiling,
  relaxedSimdAvailable,
  SimdGemm,
  type GemmTiling,
} from '../main/site/train/kernels/index.ts';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '9' },
    sweep: { type: 'boolean', default: false },
    only: { type: 'string' },
  },
});
const rounds = Number(values.rounds);

const report = await selectBackend({ choice: 'wasm', threads: 1 });
const backend = tf.backend() as unknown as {
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array;
};
const memory = backendMemory(tf.backend())!;
const fused = relaxedSimdAvailable();

interface Shape {
  kind: 'filter' | 'forward' | 'input';
  label: string;
  m: number;
  k: number;
  n: number;
  /** The layer's forward convolution, for XNNPACK's own conv2d timing. */
  conv?: { size: number; inChannels: number; outChannels: number };
}
const batch = 32;
const shapes: Shape[] = [];
for (const [size, c, f] of [
  [64, 1, 16],
  [32, 16, 32],
  [16, 32, 64],
  [8, 64, 128],
] as const) {
  const pixels = batch * size * size;
  const layer = `${size}×${size}×${c}→${f}`;
  shapes.push({ kind: 'filter', label: `filter grad ${layer}`, m: 9 * c + 1, k: pixels, n: f });
  shapes.push({
    kind: 'forward',
    label: `forward ${layer}`,
    m: pixels,
    k: 9 * c,
    n: f,
    conv: { size, inChannels: c, outChannels: f },
  });
  if (c > 1 && c % 4 === 0)
    shapes.push({ kind: 'input', label: `input grad ${layer}`, m: pixels, k: 9 * f, n: c });
}

const median = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1]!;
const time = (f: () => void) => {
  const t0 = performance.now();
  f();
  return performance.now() - t0;
};

function measure(shape: Shape, tilings: GemmTiling[]) {
  const { m, k, n } = shape;
  const a = tf.randomUniform([1, m, k], -1, 1) as tf.Tensor3D;
  const b = tf.randomUniform([1, k, n], -1, 1) as tf.Tensor3D;
  const c = tf.zeros([m, n]);
  const conv = shape.conv
    ? {
        x: tf.randomUniform([batch, shape.conv.size, shape.conv.size, shape.conv.inChannels]) as tf.Tensor4D,
        w: tf.randomUniform([3, 3, shape.conv.inChannels, shape.conv.outChannels]) as tf.Tensor4D,
      }
    : undefined;
  const address = (t: tf.Tensor) => backend.typedArrayFromHeap(t as unknown as tf.TensorInfo).byteOffset;
  const gemms = tilings.map((t) => new SimdGemm(memory, n, t));
  const run = (g: SimdGemm) => {
    backend.typedArrayFromHeap(c as unknown as tf.TensorInfo).fill(0);
    g.multiplyAdd({ a: address(a), aRowBytes: k * 4, b: address(b), c: address(c), m, k, n });
  };
  const xnnpack = () =>
    tf.dispose(
      tf.engine().runKernel('BatchMatMul', { a, b }, { transposeA: false, transposeB: false }) as tf.Tensor,
    );
  const xnnConv = () => tf.dispose(tf.conv2d(conv!.x, conv!.w, 1, 'same'));
  // Same answer first (and warm-up).
  const expected = tf
    .engine()
    .runKernel('BatchMatMul', { a, b }, { transposeA: false, transposeB: false }) as tf.Tensor;
  const scale = tf.tidy(() => tf.max(tf.abs(expected)).dataSync()[0]!);
  for (const g of gemms) {
    run(g);
    const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(tf.reshape(expected, [m, n]), c))).dataSync()[0]!);
    if (diff > 1e-4 * scale) throw new Error(`${shape.label}: ours differs from XNNPACK by ${diff}`);
  }
  expected.dispose();
  if (conv) xnnConv();
  const times = { xnnpack: [] as number[], conv: [] as number[], ours: gemms.map(() => [] as number[]) };
  for (let r = 0; r < rounds; r++) {
    times.xnnpack.push(time(xnnpack));
    gemms.forEach((g, i) => times.ours[i]!.push(time(() => run(g))));
    if (conv) times.conv.push(time(xnnConv));
  }
  tf.dispose([a, b, c, ...(conv ? [conv.x, conv.w] : [])]);
  const gflops = (ms: number) => (2 * m * k * n) / (ms * 1e6);
  return {
    xnnpack: gflops(median(times.xnnpack)),
    conv: conv ? gflops(median(times.conv)) : undefined,
    ours: times.ours.map((t) => gflops(median(t))),
  };
}

const tilingName = (t: GemmTiling) =>
  `${t.rows}×${4 * t.vectors} u${t.unroll} kc${t.blockK}${t.fused ? ' fma' : ''}`;
const tilings: GemmTiling[] = values.sweep
  ? [
      ...[
        [6, 2],
        [5, 2],
        [4, 2],
        [3, 3],
        [2, 4],
        [4, 3],
      ].flatMap(([rows, vectors]) =>
        [128, 256, 512].map((blockK) => ({ rows: rows!, vectors: vectors!, unroll: 4, blockK, fused })),
      ),
      { rows: 6, vectors: 2, unroll: 4, blockK: 256, fused: false },
    ]
  : [defaultTiling(), { ...defaultTiling(), fused: false }];

const load = (await import('node:os')).loadavg()[0]!.toFixed(2);
const lines = [
  `${report.device}; relaxed SIMD ${fused ? 'on' : 'off'}; median of ${rounds} alternating rounds; load ${load}`,
  `shape (m×k by k×n) | XNNPACK GFLOP/s | ${tilings.map(tilingName).join(' | ')} | ratio (first) | XNNPACK conv2d`,
];
for (const shape of shapes) {
  if (values.only && shape.kind !== values.only) continue;
  const r = measure(shape, tilings);
  lines.push(
    `${shape.label} (${shape.m}×${shape.k} by ${shape.k}×${shape.n}) | ${r.xnnpack.toFixed(1)} | ${r.ours
      .map((g) => g.toFixed(1))
      .join(' | ')} | ${(r.ours[0]! / r.xnnpack).toFixed(2)} | ${r.conv?.toFixed(1) ?? '-'}`,
  );
  process.stdout.write(`${lines.at(-1)}\n`);
}
process.stdout.write(`load after ${(await import('node:os')).loadavg()[0]!.toFixed(2)}\n`);
