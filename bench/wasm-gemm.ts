// Our WebAssembly SIMD product (main/site/train/kernels/simd-gemm.ts) against XNNPACK's (tfjs wasm
// BatchMatMul, the product the filter gradient calls) on the reference CNN's real shapes at S = 64,
// batch 32, one thread each, alternating call by call in one process so that a busy shared machine
// slows both alike. Prints GFLOP/s (2·m·k·n per product, per second of CPU time) as the median of the
// rounds, and the ratio.
// Shapes: the four filter-gradient products (im2col rows × batch pixels by batch pixels × filters),
// the forward convolutions and the input gradients as im2col products (pixels × 9·channels by
// 9·channels × filters), and XNNPACK's own forward convolution on the same layer, for reference.
// Run: node --import tsx bench/wasm-gemm.ts [--rounds 9] [--sweep] [--only filter|forward|input]
//      [--threads 1|2] (XNNPACK's threads, and ours) [--peak] (first, the tile alone on data in the
//      level-1 cache: 6 rows × 256 by 256 × 8, 20,000 times: the ceiling of the micro-kernel)
//      [--same-b] (the same B tensor every round: XNNPACK then reuses its packed B)
import { parseArgs } from 'node:util';
import { selectBackend, tf } from '../main/site/train/index.ts';
import {
  backendMemory,
  defaultTiling,
  relaxedSimdAvailable,
  SimdGemm,
  ThreadedGemm,
  type GemmOperands,
  type GemmTiling,
} from '../main/site/train/kernels/index.ts';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '9' },
    sweep: { type: 'boolean', default: false },
    only: { type: 'string' },
    threads: { type: 'string', default: '1' },
    peak: { type: 'boolean', default: false },
    'same-b': { type: 'boolean', default: false },
  },
});
const rounds = Number(values.rounds);
const threads = Number(values.threads);

const report = await selectBackend({ choice: 'wasm', threads });
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
// CPU time of the process (user + system) beside wall time: on a 2-core machine shared with other
// engineers' jobs, wall time counts the time slices the scheduler gave to others, so with one thread
// (tfjs's single-threaded build, and our kernel on the main thread) CPU time is the steadier measure.
// With --threads 2, CPU time adds up both threads' (and any spinning): only wall time says speed there.
interface Times {
  cpu: number[];
  wall: number[];
}
const times = (): Times => ({ cpu: [], wall: [] });
const time = (into: Times, f: () => void) => {
  const t0 = process.cpuUsage();
  const w0 = performance.now();
  f();
  const t = process.cpuUsage(t0);
  into.wall.push(performance.now() - w0);
  into.cpu.push((t.user + t.system) / 1000);
};

function measure(shape: Shape, tilings: GemmTiling[]) {
  const { m, k, n } = shape;
  const a = tf.randomUniform([1, m, k], -1, 1) as tf.Tensor3D;
  const b0 = tf.randomUniform([1, k, n], -1, 1) as tf.Tensor3D;
  // A new B each round, made outside the timing, as in training (a new dy every step): tfjs's wasm
  // BatchMatMul keeps XNNPACK's operator, with B packed, per B tensor, so the same B every round
  // would time the product without its packing of B.
  let b = b0;
  const freshB = () => {
    if (b !== b0) b.dispose();
    b = (values['same-b'] ? b0 : tf.add(b0, 0)) as tf.Tensor3D;
  };
  const c = tf.zeros([m, n]);
  const conv = shape.conv
    ? {
        x: tf.randomUniform([batch, shape.conv.size, shape.conv.size, shape.conv.inChannels]) as tf.Tensor4D,
        w: tf.randomUniform([3, 3, shape.conv.inChannels, shape.conv.outChannels]) as tf.Tensor4D,
      }
    : undefined;
  const address = (t: tf.Tensor) => backend.typedArrayFromHeap(t as unknown as tf.TensorInfo).byteOffset;
  const gemms = tilings.map((t, i) => threaded[i] ?? new SimdGemm(memory, n, t));
  const run = (g: { multiplyAdd(p: GemmOperands): void }) => {
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
  const measured = { xnnpack: times(), conv: times(), ours: gemms.map(times) };
  for (let r = 0; r < rounds; r++) {
    freshB();
    time(measured.xnnpack, xnnpack);
    gemms.forEach((g, i) => time(measured.ours[i]!, () => run(g)));
    if (conv) time(measured.conv, xnnConv);
  }
  tf.dispose([a, b0, c, ...(conv ? [conv.x, conv.w] : [])]);
  if (b !== b0) b.dispose();
  const gflops = (t: Times) => {
    const rate = (ms: number) => (2 * m * k * n) / (ms * 1e6);
    return { cpu: rate(median(t.cpu)), wall: rate(median(t.wall)) };
  };
  return {
    xnnpack: gflops(measured.xnnpack),
    conv: conv ? gflops(measured.conv) : undefined,
    ours: measured.ours.map(gflops),
  };
}

const tilingName = (t: GemmTiling) =>
  `${t.rows}×${4 * t.vectors} u${t.unroll} kc${t.blockK}${t.fused ? ' fma' : ''}${t.panelsInside === 'auto' ? '' : t.panelsInside ? ' rows-outer' : ' panels-outer'}`;
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
        [128, 256, 512].flatMap((blockK) =>
          [true, false].map((panelsInside) => ({
            rows: rows!,
            vectors: vectors!,
            unroll: 4,
            blockK,
            fused,
            panelsInside,
          })),
        ),
      ),
      { ...defaultTiling(), fused: false },
    ]
  : [
      defaultTiling(),
      { ...defaultTiling(), fused: false },
      { ...defaultTiling(), panelsInside: true },
      { ...defaultTiling(), panelsInside: false },
    ];

// With --threads 2 ours runs on two threads as well: the main thread and a worker on the backend's
// shared memory (threaded-gemm.ts).
const threaded = threads > 1 ? tilings.map((t) => new ThreadedGemm(memory, threads, t)) : [];
for (const g of threaded)
  if ((await g.ready()) !== threads) throw new Error('The product’s workers did not start.');
if (values.peak) {
  const at = backend.typedArrayFromHeap(tf.zeros([16384]) as unknown as tf.TensorInfo).byteOffset;
  for (const t of [defaultTiling(), { ...defaultTiling(), fused: false }]) {
    const product = new SimdGemm(memory, 8, t);
    const p = { a: at, aRowBytes: 256 * 4, b: at + 6 * 256 * 4, c: at + 14 * 256 * 4, m: 6, k: 256, n: 8 };
    const measured = times();
    for (let r = 0; r < 5; r++)
      time(measured, () => {
        for (let i = 0; i < 20_000; i++) product.multiplyAdd(p);
      });
    const flops = 2 * 6 * 256 * 8 * 20_000;
    process.stdout.write(
      `peak, 6×8 tile in L1${t.fused ? ', fused' : ', multiply then add'}: ${(flops / (median(measured.cpu) * 1e6)).toFixed(1)} GFLOP/s per CPU second (${(flops / (median(measured.wall) * 1e6)).toFixed(1)} per wall second)\n`,
    );
  }
}
const os = await import('node:os');
const cell = (g: { cpu: number; wall: number }) => `${g.cpu.toFixed(1)} (${g.wall.toFixed(1)})`;
process.stdout.write(
  [
    `${report.device}; relaxed SIMD ${fused ? 'on' : 'off'}; ours on ${threads > 1 ? 'two threads' : 'one thread'}; median of ${rounds} alternating rounds; load ${os.loadavg()[0]!.toFixed(2)}`,
    'GFLOP/s per CPU second (per wall second); ratio = ours (first) / XNNPACK, CPU time',
    `shape (m×k by k×n) | XNNPACK | ${tilings.map(tilingName).join(' | ')} | ratio | XNNPACK conv2d`,
    '',
  ].join('\n'),
);
for (const shape of shapes) {
  if (values.only && shape.kind !== values.only) continue;
  const r = measure(shape, tilings);
  const ratio = (r.ours[0]!.cpu / r.xnnpack.cpu).toFixed(2);
  const conv = r.conv ? cell(r.conv) : '-';
  const label = `${shape.label} (${shape.m}×${shape.k} by ${shape.k}×${shape.n})`;
  process.stdout.write(
    `${label} | ${cell(r.xnnpack)} | ${r.ours.map(cell).join(' | ')} | ${ratio} | ${conv}\n`,
  );
}
process.stdout.write(`load after ${os.loadavg()[0]!.toFixed(2)}\n`);
