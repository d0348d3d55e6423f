// Conv2DBackpropFilter — the gradient of a convolution with respect to its filter,
// dW[kh,kw,c,f] = Σ_n,oy,ox x[n, oy·sh+kh·dh−top, ox·sw+kw·dw−left, c]·dy[n,oy,ox,f] — as a matrix
// product composed of a backend's stock kernels: im2col of the input by padding and one slice per
// kernel offset, then one matMul with the output gradient (REFERENCES.md: 17 ms instead of 188 ms for
// the first layer on an H200 with WebGPU). The wrapper below also serves the WebAssembly version
// (filter-grad-im2col.ts), which writes im2col itself.
import type { KernelBackend, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import { axisWindow, channelsLastAttrs, forwardGeometry, type ConvGradAttrs } from './conv-geometry.ts';
import { KernelScope } from './kernel-scope.ts';

export interface FilterGradInputs {
  x: TensorInfo;
  dy: TensorInfo;
}
export type FilterGradAttrs = ConvGradAttrs & { filterShape: [number, number, number, number] };

export type FilterGradMethod = (
  scope: KernelScope,
  x: TensorInfo,
  dy: TensorInfo,
  attrs: FilterGradAttrs,
) => TensorInfo;

/** A kernel function for `method`, taking care of NCHW inputs and of freeing intermediates. */
export { zeros };

export function filterGradKernel(backendName: string, method: FilterGradMethod) {
  return ({ inputs, backend, attrs }: { inputs: object; backend: KernelBackend; attrs?: NamedAttrMap }) => {
    const { x, dy } = inputs as FilterGradInputs;
    const a = attrs as unknown as FilterGradAttrs;
    const scope = new KernelScope(backend, backendName);
    try {
      const channelsLast = a.dataFormat !== 'NCHW';
      const xl = channelsLast ? x : scope.transpose(x, [0, 2, 3, 1]);
      const dyl = channelsLast ? dy : scope.transpose(dy, [0, 2, 3, 1]);
      return scope.finish(method(scope, xl, dyl, channelsLastAttrs(a)));
    } catch (error) {
      scope.dispose();
      throw error;
    }
  };
}

function readWindows(x: TensorInfo, attrs: FilterGradAttrs) {
  const info = forwardGeometry(x.shape, attrs.filterShape, attrs);
  const { inHeight, inWidth, outHeight, outWidth, filterHeight, filterWidth } = info;
  const { strideHeight, strideWidth, dilationHeight, dilationWidth } = info;
  const { top, left } = info.padInfo;
  // The input rows (and columns) the gradient reads, as the forward convolution read them.
  const rows = axisWindow(
    inHeight,
    -top,
    -top + (filterHeight - 1) * dilationHeight + (outHeight - 1) * strideHeight + 1,
  );
  const cols = axisWindow(
    inWidth,
    -left,
    -left + (filterWidth - 1) * dilationWidth + (outWidth - 1) * strideWidth + 1,
  );
  return { info, rows, cols };
}

/** When the forward convolution read only padding (tiny inputs, large pads), every gradient is zero. */
function zeros(scope: KernelScope, shape: readonly number[]): TensorInfo {
  return scope.fromValues([...shape], new Float32Array(shape.reduce((p, s) => p * s, 1)));
}

export const filterGradByMatMul: FilterGradMethod = (scope, x, dy, attrs) => {
  const { info, rows, cols } = readWindows(x, attrs);
  const { batchSize, inChannels, outHeight, outWidth, outChannels, filterHeight, filterWidth } = info;
  if (rows.size === 0 || cols.size === 0) return zeros(scope, attrs.filterShape);
  const used = scope.slice(x, [0, rows.begin, cols.begin, 0], [batchSize, rows.size, cols.size, inChannels]);
  const padded = scope.pad(used, [
    [0, 0],
    [rows.padBefore, rows.padAfter],
    [cols.padBefore, cols.padAfter],
    [0, 0],
  ]);
  const strided = info.strideHeight > 1 || info.strideWidth > 1;
  const patches: TensorInfo[] = [];
  for (let kh = 0; kh < filterHeight; kh++) {
    for (let kw = 0; kw < filterWidth; kw++) {
      const begin = [0, kh * info.dilationHeight, kw * info.dilationWidth, 0];
      if (!strided) {
        patches.push(
          scope.run('Slice', { x: padded }, { begin, size: [batchSize, outHeight, outWidth, inChannels] }),
        );
        continue;
      }
      const end = [
        batchSize,
        begin[1]! + (outHeight - 1) * info.strideHeight + 1,
        begin[2]! + (outWidth - 1) * info.strideWidth + 1,
        inChannels,
      ];
      patches.push(
        scope.run(
          'StridedSlice',
          { x: padded },
          { begin, end, strides: [1, info.strideHeight, info.strideWidth, 1], ...NO_MASKS },
        ),
      );
    }
  }
  const columns = patches.length === 1 ? patches[0]! : scope.run('Concat', patches as never, { axis: 3 });
  const rowsCount = batchSize * outHeight * outWidth;
  const k = filterHeight * filterWidth * inChannels;
  const product = scope.run(
    'BatchMatMul',
    { a: scope.reshape(columns, [1, rowsCount, k]), b: scope.reshape(dy, [1, rowsCount, outChannels]) },
    { transposeA: true, transposeB: false },
  );
  return scope.reshape(product, [filterHeight, filterWidth, inChannels, outChannels]);
};

const NO_MASKS = { beginMask: 0, endMask: 0, ellipsisMask: 0, newAxisMask: 0, shrinkAxisMask: 0 };
