// The project's own kernels, registered on the backends that lack them or where theirs are slow.
// WebAssembly has no Conv2DBackpropFilter and no depthwise gradients at all, and its
// Conv2DBackpropInput is a plain loop; WebGPU's filter gradient spends most of a training step in one
// kernel with too little parallelism (REFERENCES.md).
import { getKernel, registerKernel, unregisterKernel, type KernelFunc } from '@tensorflow/tfjs-core';
import { filterGradByMatMul, filterGradKernel } from './conv2d-backprop-filter.ts';
import { filterGradByIm2col } from './filter-grad-im2col.ts';
import { registerConvBiasRelu } from './conv-bias-relu.ts';
import { inputGradByConvolution } from './conv2d-backprop-input.ts';
import { depthwiseFilterGrad, depthwiseInputGrad } from './depthwise-backprop.ts';
import { maxPoolGrad } from './max-pool-grad.ts';
import { sharedIdentity } from './shared-identity.ts';
import { conv2dWinograd } from './conv2d-winograd.ts';
import { registerBatchNormKernels } from './batch-norm-kernels.ts';
import { filterGradSplitK } from './webgpu-filter-grad.ts';

export { filterGradByMatMul, filterGradKernel } from './conv2d-backprop-filter.ts';
export { filterGradByIm2col } from './filter-grad-im2col.ts';
export { inputGradByConvolution } from './conv2d-backprop-input.ts';
export { CONV_BIAS_RELU, conv2dBiasRelu, FILTER_BIAS_GRAD, registerConvBiasRelu } from './conv-bias-relu.ts';
export { depthwiseFilterGrad, depthwiseInputGrad } from './depthwise-backprop.ts';
export { maxPoolGrad } from './max-pool-grad.ts';
export { im2colLimits } from './filter-grad-im2col.ts';
export { FilterGradSplitKProgram, filterGradSplitK, splitCount } from './webgpu-filter-grad.ts';
export { axisWindow } from './conv-geometry.ts';
export { WebgpuCommandStream, type GpuBuffer } from './webgpu-command-stream.ts';
export { adamUpdateOnGpu, sgdMomentumUpdateOnGpu } from './webgpu-optimizer.ts';
export { countGpuDispatches } from './webgpu-dispatch-count.ts';
export { defaultTiling, SimdGemm, type GemmOperands, type GemmTiling } from './simd-gemm.ts';
export { backendMemory } from './simd-kernels.ts';
export { ThreadedGemm } from './threaded-gemm.ts';
export { ownGemmFor } from './own-gemm.ts';
export { relaxedSimdAvailable } from './wasm-relaxed-simd.ts';
export { BN_MOMENTS, batchNormKernelsFor } from './batch-norm-kernels.ts';
export { batchNormByKernels } from './batch-norm-op.ts';

/** Which WebGPU filter gradient to use: the composed matrix product (default) or the WGSL split-K shader. */
export type WebgpuFilterGrad = 'matmul' | 'splitk' | 'stock';

/** The stock kernels we replaced, to put back when a setting asks for them. */
const stockKernels = new Map<string, KernelFunc>();

function replaceKernel(kernelName: string, backendName: string, kernelFunc: KernelFunc): void {
  const existing = getKernel(kernelName, backendName);
  const key = `${backendName}/${kernelName}`;
  if (existing) {
    if (!stockKernels.has(key)) stockKernels.set(key, existing.kernelFunc);
    unregisterKernel(kernelName, backendName);
  }
  registerKernel({ kernelName, backendName, kernelFunc });
}

/** The backend's own kernel `kernelName`, even after ours replaced it. */
function stockKernel(kernelName: string, backendName: string): KernelFunc | undefined {
  return stockKernels.get(`${backendName}/${kernelName}`) ?? getKernel(kernelName, backendName)?.kernelFunc;
}

/**
 * Registers our kernels on `backendName` and returns their names. Safe to call again. The WebGPU
 * filter gradient can be chosen with RADFED_WEBGPU_FILTER_GRAD (matmul, splitk or stock); split-K is
 * the default, as it trained 1.8× faster than the matrix product on an H200 (docs/benchmarks.md).
 */
export function registerTrainingKernels(
  backendName: string,
  webgpuFilterGrad: WebgpuFilterGrad = (process.env.RADFED_WEBGPU_FILTER_GRAD as WebgpuFilterGrad) ||
    'splitk',
): string[] {
  const kernels: [string, KernelFunc][] = [];
  if (backendName === 'wasm') {
    kernels.push(
      ['Conv2DBackpropFilter', filterGradKernel('wasm', filterGradByIm2col) as KernelFunc],
      ['Conv2DBackpropInput', inputGradByConvolution('wasm') as KernelFunc],
      ['DepthwiseConv2dNativeBackpropFilter', depthwiseFilterGrad('wasm') as KernelFunc],
      ['DepthwiseConv2dNativeBackpropInput', depthwiseInputGrad('wasm') as KernelFunc],
      ['MaxPoolGrad', maxPoolGrad('wasm') as KernelFunc],
      ['Identity', sharedIdentity(stockKernel('Identity', 'wasm'))],
    );
    const stockConv = stockKernel('Conv2D', 'wasm');
    if (stockConv) kernels.push(['Conv2D', conv2dWinograd(stockConv)]);
  } else if (backendName === 'webgpu') {
    const stock = stockKernels.get('webgpu/Conv2DBackpropFilter');
    const kernel =
      webgpuFilterGrad === 'stock'
        ? stock
        : webgpuFilterGrad === 'splitk'
          ? filterGradSplitK
          : filterGradKernel('webgpu', filterGradByMatMul);
    if (kernel) kernels.push(['Conv2DBackpropFilter', kernel as KernelFunc]);
  }
  for (const [name, func] of kernels) replaceKernel(name, backendName, func);
  registerConvBiasRelu(backendName);
  registerBatchNormKernels(backendName);
  return kernels.map(
    ([name]) => `${name} (${backendName}${backendName === 'webgpu' ? `, ${webgpuFilterGrad}` : ''})`,
  );
}
// The error measure every kernel spec uses, shared with the optimiser's.
export { relativeError } from './reference-convolution.ts';
