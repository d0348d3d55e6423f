// The gradient through a ReLU from its output, dx = y > 0 ? dy : 0, as one kernel on WebAssembly (one
// SIMD pass, simd-kernels.ts) where tfjs composes it of Step and Multiply: two passes over the
// largest activations and a tensor of ones and zeros between them (~3 ms of a ~60 ms reference-CNN
// step at S = 64, docs/benchmarks.md). tf.relu's own gradient (ResNet's and DenseNet's ReLUs, after
// batch norm; tfjs: Step, Cast and Multiply) is replaced by the same. Other backends, and
// RADFED_WASM_RELU_GRAD=0, keep tfjs's composition, dy · float32(step(x)).
import {
  cast,
  engine,
  getBackend,
  getKernel,
  mul,
  registerGradient,
  registerKernel,
  step,
  type KernelBackend,
  type KernelFunc,
  type Tensor,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import { KernelScope } from './kernel-scope.ts';
import { backendMemory, simdKernelsFor } from './simd-kernels.ts';

export const RELU_GRAD = 'RadfedReluGrad';

function reluGradKernel(backendName: string): KernelFunc {
  return (({ inputs, backend }: { inputs: { dy: TensorInfo; y: TensorInfo }; backend: KernelBackend }) => {
    const { dy, y } = inputs;
    const scope = new KernelScope(backend, backendName);
    const out = scope.output([...dy.shape], false);
    const dx = out.values();
    const [dys, ys] = [scope.read(dy), scope.read(y)];
    const simd = simdKernelsFor(backendMemory(backend));
    const vectorised = simd ? dx.length & ~3 : 0;
    if (simd) simd.reluGrad(dx.byteOffset, dys.byteOffset, ys.byteOffset, vectorised * 4);
    for (let i = vectorised; i < dx.length; i++) dx[i] = ys[i]! > 0 ? dys[i]! : 0;
    return scope.finish(out.info());
  }) as unknown as KernelFunc;
}

let reluGradientReplaced = false;

/**
 * Registers the kernel where it helps, on WebAssembly, and tf.relu's gradient through it (a ReLU's
 * input and output are positive at the same places). Safe to call again.
 */
export function registerReluGrad(backendName: string): void {
  if (!reluGradientReplaced) {
    reluGradientReplaced = true;
    registerGradient({
      kernelName: 'Relu',
      inputsToSave: ['x'],
      gradFunc: (dy, saved) => ({ x: () => reluGradient(dy as Tensor, saved[0]!) }),
    });
  }
  if (backendName !== 'wasm' || getKernel(RELU_GRAD, backendName)) return;
  registerKernel({ kernelName: RELU_GRAD, backendName, kernelFunc: reluGradKernel(backendName) });
}

/**
 * dy · step(y), for y a ReLU's input or output; inside a gradient function (it has no gradient itself).
 */
export function reluGradient<T extends Tensor>(dy: T, y: T): T {
  if (process.env.RADFED_WASM_RELU_GRAD !== '0' && getKernel(RELU_GRAD, getBackend())) {
    return engine().runKernel(RELU_GRAD, { dy, y }) as T;
  }
  return mul(dy, cast(step(y), 'float32'));
}
