// Conv2DBackpropFilter as one WGSL compute shader: a matrix product dW[m, f] = Σ_r A[m, r]·dy[r, f]
// with m = (kh, kw, c) and r = (n, oy, ox), where A is read straight from the input (an implicit
// im2col), split along r ("split-K") so that the tiny first-layer filter still fills the GPU. Each
// workgroup multiplies a 16×16 output tile over one chunk of r through workgroup memory; the chunks'
// partial sums are added by the backend's own Sum kernel.
import type { KernelBackend, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import { channelsLastAttrs, forwardGeometry } from './conv-geometry.ts';
import type { FilterGradAttrs, FilterGradInputs } from './conv2d-backprop-filter.ts';
import { KernelScope } from './kernel-scope.ts';

const TILE = 16;

/** How many chunks to split the reduction into: enough workgroups to fill a large GPU, chunks ≥ 256. */
export function splitCount(m: number, f: number, reduction: number): number {
  const tiles = Math.ceil(m / TILE) * Math.ceil(f / TILE);
  const wanted = Math.ceil(2048 / tiles);
  return Math.max(1, Math.min(wanted, Math.ceil(reduction / 256), 1024));
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

interface WebgpuBackendLike {
  runWebGPUProgram(
    program: FilterGradSplitKProgram,
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
    const splits = splitCount(m, info.outChannels, reduction);
    const chunk = Math.ceil(reduction / splits / TILE) * TILE;
    const program = new FilterGradSplitKProgram(splits, m, info.outChannels);
    const partial = (backend as unknown as WebgpuBackendLike).runWebGPUProgram(
      program,
      [xl, dyl],
      'float32',
      [
        { type: 'int32', data: [info.batchSize, info.inHeight, info.inWidth, info.inChannels] },
        { type: 'int32', data: [info.batchSize, info.outHeight, info.outWidth, info.outChannels] },
        { type: 'int32', data: [info.filterHeight, info.filterWidth] },
        { type: 'int32', data: [info.strideHeight, info.strideWidth] },
        { type: 'int32', data: [info.dilationHeight, info.dilationWidth] },
        { type: 'int32', data: [info.padInfo.top, info.padInfo.left] },
        { type: 'int32', data: [chunk] },
      ],
    );
    scope.adopt(partial);
    const summed = scope.run('Sum', { x: partial }, { axis: [0], keepDims: false });
    return scope.finish(scope.reshape(summed, [...a.filterShape]));
  } catch (error) {
    scope.dispose();
    throw error;
  }
}
