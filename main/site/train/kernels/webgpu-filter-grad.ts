// Conv2DBackpropFilter as one WGSL compute shader: a matrix product dW[m, f] = Σ_r A[m, r]·dy[r, f]
// with m = (kh, kw, c) and r = (n, oy, ox), where A is read straight from the input (an implicit
// im2col), split along r ("split-K") so that the tiny first-layer filter still fills the GPU. Each
// workgroup multiplies a 16×16 output tile over one chunk of r through workgroup memory. With one
// chunk the product is the gradient; with several, a second dispatch adds the chunks' partial sums,
// one thread per weight. Not tfjs's Sum: it transposes the [chunks, m, f] partials and then gives
// every weight a workgroup of 64 threads, even when there is a single chunk to add, which made
// ResNet-18's gradients take minutes on SwiftShader (docs/benchmarks.md).
import type { KernelBackend, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import { channelsLastAttrs, forwardGeometry } from './conv-geometry.ts';
import type { FilterGradAttrs, FilterGradInputs } from './conv2d-backprop-filter.ts';
import { KernelScope } from './kernel-scope.ts';

const TILE = 16;
/** Workgroups the product aims for: enough to fill a large GPU (an H100 has 132 SMs). */
const TARGET_WORKGROUPS = 2048;
/** Rows of r one chunk adds at least: shorter chunks cost more in partial sums than they gain. */
const MIN_CHUNK_ROWS = 256;
const MAX_SPLITS = 1024;
/** The partial sums' buffer, at most: a few MB is enough to fill a GPU (see splitCount). */
export const MAX_PARTIAL_BYTES = 32 * 1024 * 1024;
/** Threads per workgroup of the chunk sum. */
const SUM_WORKGROUP = 64;

/** The adapter limits the split depends on, WebGPU's defaults where the adapter does not say. */
export interface FilterGradLimits {
  maxStorageBufferBindingSize: number;
  maxComputeWorkgroupsPerDimension: number;
}
const DEFAULT_LIMITS: FilterGradLimits = {
  maxStorageBufferBindingSize: 128 * 1024 * 1024,
  maxComputeWorkgroupsPerDimension: 65535,
};

/**
 * The device's limits, read one by one: a GPUSupportedLimits holds them as getters on its prototype,
 * which a spread (`{ ...limits }`) does not copy.
 */
export function filterGradLimits(device?: Partial<FilterGradLimits>): FilterGradLimits {
  return {
    maxStorageBufferBindingSize:
      device?.maxStorageBufferBindingSize ?? DEFAULT_LIMITS.maxStorageBufferBindingSize,
    maxComputeWorkgroupsPerDimension:
      device?.maxComputeWorkgroupsPerDimension ?? DEFAULT_LIMITS.maxComputeWorkgroupsPerDimension,
  };
}

/**
 * How many chunks to split the reduction into: enough workgroups to fill a large GPU, chunks of at
 * least 256 rows, and a partial-sum buffer of at most MAX_PARTIAL_BYTES (and of what one binding may
 * hold). Aiming at 2048 workgroups already keeps that buffer under (2048 + tiles) × 256 floats, 4 MiB
 * (a layer with many tiles gets one chunk); the byte bound keeps it so if the aim changes.
 */
export function splitCount(
  m: number,
  f: number,
  reduction: number,
  limits: FilterGradLimits = DEFAULT_LIMITS,
): number {
  const tiles = Math.ceil(m / TILE) * Math.ceil(f / TILE);
  const wanted = Math.ceil(TARGET_WORKGROUPS / tiles);
  const byBytes = Math.floor(Math.min(MAX_PARTIAL_BYTES, limits.maxStorageBufferBindingSize) / (m * f * 4));
  const byRows = Math.floor(reduction / MIN_CHUNK_ROWS);
  const cap = Math.min(MAX_SPLITS, limits.maxComputeWorkgroupsPerDimension, byBytes, byRows);
  return Math.max(1, Math.min(wanted, cap));
}

/** The bytes of the partial sums' buffer: none with one chunk, where the product writes the gradient. */
export function partialSumBytes(m: number, f: number, reduction: number, limits?: FilterGradLimits): number {
  const splits = splitCount(m, f, reduction, limits);
  return splits === 1 ? 0 : splits * m * f * 4;
}

/** The program in tfjs-backend-webgpu's format (WebGPUProgram), kept structural to avoid its types. */
export class FilterGradSplitKProgram {
  readonly variableNames = ['x', 'dy'];
  readonly uniforms =
    'inDims : vec4<i32>, outDims : vec4<i32>, filterDims : vec2<i32>, strides : vec2<i32>, ' +
    'dilations : vec2<i32>, pads : vec2<i32>, chunk : i32,';
  readonly workgroupSize: [number, number, number] = [TILE, TILE, 1];
  readonly outputShape: number[];
  readonly dispatchLayout = { x: [2], y: [1], z: [0] };
  readonly dispatch: [number, number, number];
  readonly shaderKey = 'radfedConv2DFilterGradSplitK';

  constructor(splits: number, m: number, f: number) {
    this.outputShape = [splits, m, f];
    this.dispatch = [Math.ceil(f / TILE), Math.ceil(m / TILE), splits];
  }

  getUserCode(): string {
    return `
      var<workgroup> tileA : array<array<f32, ${TILE}>, ${TILE}>;
      var<workgroup> tileB : array<array<f32, ${TILE}>, ${TILE}>;

      fn readA(m : i32, r : i32, rEnd : i32) -> f32 {
        let C = uniforms.inDims.w;
        let M = uniforms.filterDims.x * uniforms.filterDims.y * C;
        if (m >= M || r >= rEnd) { return 0.0; }
        let c = m % C;
        let k = m / C;
        let kw = k % uniforms.filterDims.y;
        let kh = k / uniforms.filterDims.y;
        let ox = r % uniforms.outDims.z;
        let t = r / uniforms.outDims.z;
        let oy = t % uniforms.outDims.y;
        let n = t / uniforms.outDims.y;
        let iy = oy * uniforms.strides.x + kh * uniforms.dilations.x - uniforms.pads.x;
        let ix = ox * uniforms.strides.y + kw * uniforms.dilations.y - uniforms.pads.y;
        if (iy < 0 || iy >= uniforms.inDims.y || ix < 0 || ix >= uniforms.inDims.z) { return 0.0; }
        return x[((n * uniforms.inDims.y + iy) * uniforms.inDims.z + ix) * C + c];
      }

      fn readB(r : i32, f : i32, rEnd : i32) -> f32 {
        if (r >= rEnd || f >= uniforms.outDims.w) { return 0.0; }
        return dy[r * uniforms.outDims.w + f];
      }

      fn main() {
        let tx = i32(localId.x);
        let ty = i32(localId.y);
        let f0 = i32(workgroupId.x) * ${TILE};
        let m0 = i32(workgroupId.y) * ${TILE};
        let split = i32(workgroupId.z);
        let P = uniforms.outDims.x * uniforms.outDims.y * uniforms.outDims.z;
        let rStart = split * uniforms.chunk;
        let rEnd = min(rStart + uniforms.chunk, P);
        var acc = 0.0;
        // The bound is a uniform, so every invocation reaches the barriers (WGSL uniformity rules);
        // reads past this chunk's end give zeros.
        for (var t = 0; t < uniforms.chunk; t = t + ${TILE}) {
          let r0 = rStart + t;
          tileA[ty][tx] = readA(m0 + ty, r0 + tx, rEnd);
          tileB[ty][tx] = readB(r0 + ty, f0 + tx, rEnd);
          workgroupBarrier();
          for (var k = 0; k < ${TILE}; k = k + 1) {
            acc = acc + tileA[ty][k] * tileB[k][tx];
          }
          workgroupBarrier();
        }
        let M = uniforms.filterDims.x * uniforms.filterDims.y * uniforms.inDims.w;
        let m = m0 + ty;
        let f = f0 + tx;
        if (m < M && f < uniforms.outDims.w) {
          result[(split * M + m) * uniforms.outDims.w + f] = acc;
        }
      }
    `;
  }
}

/** Adds the chunks' partial sums [splits, size]: one thread per weight, reading along the weights. */
export class FilterGradChunkSumProgram {
  readonly variableNames = ['partial'];
  readonly uniforms = 'splits : i32,';
  readonly workgroupSize: [number, number, number] = [SUM_WORKGROUP, 1, 1];
  /** Gives the shader `uniforms.size`, the weights' count. */
  readonly size = true;
  readonly outputShape: number[];
  readonly dispatchLayout = { x: [0] };
  readonly dispatch: [number, number, number];
  readonly shaderKey = 'radfedFilterGradChunkSum';

  constructor(size: number, maxWorkgroupsPerDimension: number) {
    this.outputShape = [size];
    const groups = Math.ceil(size / SUM_WORKGROUP);
    const x = Math.min(groups, maxWorkgroupsPerDimension);
    this.dispatch = [x, Math.ceil(groups / x), 1];
  }

  getUserCode(): string {
    return `
      fn main(index : i32) {
        if (index < uniforms.size) {
          var acc = 0.0;
          for (var s = 0; s < uniforms.splits; s = s + 1) {
            acc = acc + partial[s * uniforms.size + index];
          }
          result[index] = acc;
        }
      }
    `;
  }
}

interface WebgpuBackendLike {
  device?: { limits?: Partial<FilterGradLimits> };
  runWebGPUProgram(
    program: FilterGradSplitKProgram | FilterGradChunkSumProgram,
    inputs: TensorInfo[],
    dtype: 'float32',
    uniforms: { type: 'int32'; data: number[] }[],
  ): TensorInfo;
}

export function filterGradSplitK({
  inputs,
  backend,
  attrs,
}: {
  inputs: object;
  backend: KernelBackend;
  attrs?: NamedAttrMap;
}) {
  const { x, dy } = inputs as FilterGradInputs;
  const a = attrs as unknown as FilterGradAttrs;
  const scope = new KernelScope(backend, 'webgpu');
  try {
    const channelsLast = a.dataFormat !== 'NCHW';
    const xl = channelsLast ? x : scope.transpose(x, [0, 2, 3, 1]);
    const dyl = channelsLast ? dy : scope.transpose(dy, [0, 2, 3, 1]);
    const info = forwardGeometry(xl.shape, a.filterShape, channelsLastAttrs(a));
    const m = info.filterHeight * info.filterWidth * info.inChannels;
    const reduction = info.batchSize * info.outHeight * info.outWidth;
    const gpu = backend as unknown as WebgpuBackendLike;
    const limits = filterGradLimits(gpu.device?.limits);
    const splits = splitCount(m, info.outChannels, reduction, limits);
    const chunk = Math.ceil(reduction / splits / TILE) * TILE;
    const program = new FilterGradSplitKProgram(splits, m, info.outChannels);
    const partial = gpu.runWebGPUProgram(program, [xl, dyl], 'float32', [
      { type: 'int32', data: [info.batchSize, info.inHeight, info.inWidth, info.inChannels] },
      { type: 'int32', data: [info.batchSize, info.outHeight, info.outWidth, info.outChannels] },
      { type: 'int32', data: [info.filterHeight, info.filterWidth] },
      { type: 'int32', data: [info.strideHeight, info.strideWidth] },
      { type: 'int32', data: [info.dilationHeight, info.dilationWidth] },
      { type: 'int32', data: [info.padInfo.top, info.padInfo.left] },
      { type: 'int32', data: [chunk] },
    ]);
    scope.adopt(partial);
    if (splits === 1) return scope.finish(scope.reshape(partial, [...a.filterShape]));
    const size = m * info.outChannels;
    const summed = gpu.runWebGPUProgram(
      new FilterGradChunkSumProgram(size, limits.maxComputeWorkgroupsPerDimension),
      [partial],
      'float32',
      [{ type: 'int32', data: [splits] }],
    );
    scope.adopt(summed);
    return scope.finish(scope.reshape(summed, [...a.filterShape]));
  } catch (error) {
    scope.dispose();
    throw error;
  }
}
