// The split-K filter gradient's plan on the layers radiology trains (ResNet-18 and DenseNet-121 at
// 224 and 256 px, batch 32): how many chunks, how large the partial sums' buffer. And, on a WebGPU
// adapter (SwiftShader here), what the kernel dispatches on such layers and that it matches the CPU
// backend. Before the chunks' partial sums had a kernel of their own, tfjs's Sum added them with a
// transpose and a 64-thread workgroup per weight, even for a single chunk: 2.4 million workgroups for
// one 3×3×512×512 filter, which made a ResNet-18 step take minutes on SwiftShader.
import { describe, expect, it } from 'vitest';
import { probeDawn, selectBackend, tf } from '../backend/index.ts';
import { SeededRandom } from '../data/index.ts';
import { registerTrainingKernels } from './index.ts';
import { relativeError } from './reference-convolution.ts';
import { filterGradLimits, MAX_PARTIAL_BYTES, partialSumBytes, splitCount } from './webgpu-filter-grad.ts';

const dawn = await probeDawn();

/** A convolution's filter gradient as a matrix product: m = kh·kw·c rows, f columns, r = n·oh·ow. */
interface ConvGrad {
  layer: string;
  m: number;
  f: number;
  reduction: number;
}

function conv(layer: string, k: number, c: number, f: number, side: number, batch: number): ConvGrad {
  return { layer, m: k * k * c, f, reduction: batch * side * side };
}

/** ResNet-18's convolutions (models/resnet18.ts), grayscale input of `size` px. */
function resnet18Convs(size: number, batch: number): ConvGrad[] {
  const convs = [conv('stem', 7, 1, 64, Math.ceil(size / 2), batch)];
  let c = 64;
  [64, 128, 256, 512].forEach((width, layer) => {
    const side = Math.ceil(size / 2 ** (layer + 2));
    convs.push(conv(`layer${layer + 1} first`, 3, c, width, side, batch));
    if (c !== width) convs.push(conv(`layer${layer + 1} shortcut`, 1, c, width, side, batch));
    for (let i = 0; i < 3; i++) convs.push(conv(`layer${layer + 1}`, 3, width, width, side, batch));
    c = width;
  });
  return convs;
}

/** DenseNet-121's convolutions (models/densenet121.ts: growth 32, bottleneck 128, blocks 6-12-24-16). */
function densenet121Convs(size: number, batch: number): ConvGrad[] {
  const convs = [conv('stem', 7, 1, 64, Math.ceil(size / 2), batch)];
  let c = 64;
  [6, 12, 24, 16].forEach((layers, block) => {
    const side = Math.ceil(size / 2 ** (block + 2));
    for (let l = 0; l < layers; l++) {
      convs.push(conv(`block${block + 1} bottleneck`, 1, c + 32 * l, 128, side, batch));
      convs.push(conv(`block${block + 1} growth`, 3, 128, 32, side, batch));
    }
    c += 32 * layers;
    if (block < 3) {
      convs.push(conv(`transition${block + 1}`, 1, c, c / 2, side, batch));
      c /= 2;
    }
  });
  return convs;
}

const REAL_SIZE_LAYERS = [224, 256].flatMap((size) => [
  ...resnet18Convs(size, 32).map((g) => ({ ...g, model: `ResNet-18 ${size} px` })),
  ...densenet121Convs(size, 32).map((g) => ({ ...g, model: `DenseNet-121 ${size} px` })),
]);

describe('split-K filter gradient: the plan', () => {
  it('lists every convolution of ResNet-18 (20) and DenseNet-121 (120)', () => {
    expect(resnet18Convs(224, 32)).toHaveLength(20);
    expect(densenet121Convs(224, 32)).toHaveLength(120);
  });

  it('keeps the partial sums under 4 MiB on every layer of ResNet-18 and DenseNet-121 at 224 and 256 px, b32', () => {
    for (const g of REAL_SIZE_LAYERS) {
      const where = `${g.model} ${g.layer} (m ${g.m}, f ${g.f}, r ${g.reduction})`;
      expect(partialSumBytes(g.m, g.f, g.reduction), where).toBeLessThanOrEqual(4 * 1024 * 1024);
      const splits = splitCount(g.m, g.f, g.reduction);
      // Each chunk adds at least 256 rows of the reduction (or the whole of a shorter one).
      expect(Math.ceil(g.reduction / splits), where).toBeGreaterThanOrEqual(Math.min(256, g.reduction));
    }
  });

  it("gives ResNet-18's 3×3×512×512 filter one chunk (no partial sums), and its first layer many", () => {
    expect(splitCount(3 * 3 * 512, 512, 32 * 7 * 7)).toBe(1);
    expect(partialSumBytes(3 * 3 * 512, 512, 32 * 7 * 7)).toBe(0);
    // 7×7×1×64 over 32 × 112 × 112 rows: 16 tiles of 16 × 16 need 128 chunks to give 2048 workgroups.
    expect(splitCount(49, 64, 32 * 112 * 112)).toBe(128);
  });

  it("bounds the chunks by the adapter's largest storage binding", () => {
    // First layer, S = 128, batch 32: 9 × 16 outputs want 1024 chunks (576 KiB of partial sums).
    expect(splitCount(9, 16, 32 * 128 * 128)).toBe(1024);
    const small = { maxStorageBufferBindingSize: 64 * 1024, maxComputeWorkgroupsPerDimension: 65535 };
    expect(splitCount(9, 16, 32 * 128 * 128, small)).toBe(113);
    expect(partialSumBytes(9, 16, 32 * 128 * 128, small)).toBeLessThanOrEqual(64 * 1024);
    expect(MAX_PARTIAL_BYTES).toBeLessThanOrEqual(128 * 1024 * 1024);
  });

  it("reads the device's limits from getters, as a GPUSupportedLimits holds them", () => {
    class Limits {
      get maxStorageBufferBindingSize() {
        return 64 * 1024;
      }
      get maxComputeWorkgroupsPerDimension() {
        return 100;
      }
    }
    expect(filterGradLimits(new Limits())).toEqual({
      maxStorageBufferBindingSize: 64 * 1024,
      maxComputeWorkgroupsPerDimension: 100,
    });
    expect(filterGradLimits(undefined).maxComputeWorkgroupsPerDimension).toBe(65535);
  });

  it('splits a short reduction no further than 256 rows a chunk', () => {
    expect(splitCount(9 * 64, 128, 32 * 16 * 16)).toBe(8);
    expect(splitCount(10, 10, 100)).toBe(1);
  });
});

interface PassPrototype {
  dispatchWorkgroups(this: unknown, ...args: number[]): void;
}

/** The workgroup grids the adapter receives while `run` runs. */
function recordDispatches(run: () => void): number[][] {
  const prototype = (globalThis as unknown as { GPUComputePassEncoder: { prototype: PassPrototype } })
    .GPUComputePassEncoder.prototype;
  const original = prototype.dispatchWorkgroups;
  const grids: number[][] = [];
  prototype.dispatchWorkgroups = function (this: unknown, ...args: number[]) {
    grids.push([args[0] ?? 1, args[1] ?? 1, args[2] ?? 1]);
    return original.apply(this, args);
  };
  try {
    run();
    return grids;
  } finally {
    prototype.dispatchWorkgroups = original;
  }
}

interface LayerCase {
  name: string;
  input: [number, number, number, number];
  filter: [number, number, number, number];
  strides: number;
}

// Real layers at small inputs: ResNet-18's last stage (one chunk), its stem at 64 px, batch 4 (16
// chunks), and a 3×3×64×64 layer of its first stage at 32 px, batch 2 (one chunk).
const LAYERS: LayerCase[] = [
  { name: '3×3×512×512 on 2×2, b2', input: [2, 2, 2, 512], filter: [3, 3, 512, 512], strides: 1 },
  { name: '7×7×1×64 stride 2 on 64 px, b4', input: [4, 64, 64, 1], filter: [7, 7, 1, 64], strides: 2 },
  { name: '3×3×64×64 on 8×8, b2', input: [2, 8, 8, 64], filter: [3, 3, 64, 64], strides: 1 },
];

describe.skipIf(!dawn.ok)('split-K filter gradient on WebGPU (needs a WebGPU adapter)', () => {
  const random = new SeededRandom(23);

  /** Runs the kernel; the dispatches are recorded as it runs, the values come when the GPU is done. */
  function gradient(c: LayerCase, x: Float32Array, dy: Float32Array, dyShape: number[]) {
    let result: tf.Tensor | undefined;
    const grids = recordDispatches(() => {
      result = tf.tidy(() =>
        tf
          .engine()
          .runKernel('Conv2DBackpropFilter', { x: tf.tensor(x, c.input), dy: tf.tensor(dy, dyShape) }, {
            strides: c.strides,
            pad: 'same',
            dataFormat: 'NHWC',
            dilations: 1,
            filterShape: c.filter,
          } as never),
      ) as tf.Tensor;
    });
    const values = async () => {
      const data = (await result!.data()) as Float32Array;
      result!.dispose();
      return data;
    };
    return { values, grids };
  }

  for (const c of LAYERS) {
    it(`${c.name}: the product and at most one sum dispatch, matching the CPU backend`, async () => {
      const side = Math.ceil(c.input[1] / c.strides);
      const dyShape = [c.input[0], side, side, c.filter[3]];
      const x = random.floats(c.input.reduce((p, s) => p * s, 1));
      const dy = random.floats(dyShape.reduce((p, s) => p * s, 1));
      await selectBackend({ choice: 'cpu' });
      const expected = await gradient(c, x, dy, dyShape).values();
      await selectBackend({ choice: 'webgpu' });
      registerTrainingKernels('webgpu', 'splitk');
      const got = gradient(c, x, dy, dyShape);

      const m = c.filter[0] * c.filter[1] * c.filter[2];
      const f = c.filter[3];
      const splits = splitCount(m, f, c.input[0] * side * side);
      const tiles = Math.ceil(m / 16) * Math.ceil(f / 16);
      const workgroups = got.grids.map(([a, b, z]) => a! * b! * z!);
      if (splits === 1) {
        expect(workgroups).toEqual([tiles]);
      } else {
        expect(workgroups).toEqual([tiles * splits, Math.ceil((m * f) / 64)]);
      }
      expect(relativeError(await got.values(), expected)).toBeLessThan(1e-4);
      // SwiftShader on a loaded 2-core machine took 48 s for the 512-channel case: no timing here.
    }, 300_000);
  }
});
