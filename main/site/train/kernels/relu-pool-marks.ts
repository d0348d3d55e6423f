// What lets a 2×2 MaxPoolGrad after a fused convolution + bias + ReLU take the ReLU's gradient with it:
// the ReLU's output is marked (its data is never below 0), the pool's gradient over marked data then
// routes each window's gradient only where its largest input is above 0 (simd-kernels.ts, positiveOnly)
// and is marked as already masked for that data, and the convolution's gradient skips its own
// ReLU pass when its dy is so marked for its own output's data (conv-bias-relu.ts): one pass less over
// the largest activations of the reference CNN's first three layers. Marks are on data ids (objects the
// engine owns), so they go with the data; a copy (RADFED_WASM_SHARED_IDENTITY=0) carries none, and
// everything then runs as before. RADFED_WASM_POOL_RELU_GRAD=0 turns the folding off.
import type { TensorInfo } from '@tensorflow/tfjs-core';

const reluOutputs = new WeakSet<object>();
const maskedGradients = new WeakMap<object, object>();

const enabled = () => process.env.RADFED_WASM_POOL_RELU_GRAD !== '0';

/** `y` is a ReLU's output: never below 0. */
export function markReluOutput(y: TensorInfo): void {
  reluOutputs.add(y.dataId);
}

/** Whether a pool over `x` may fold the ReLU's gradient in. */
export function isReluOutput(x: TensorInfo): boolean {
  return enabled() && reluOutputs.has(x.dataId);
}

/** `dx` is zero wherever `x`'s data is not above 0: the ReLU's gradient is already in it. */
export function markMaskedGradient(dx: TensorInfo, x: TensorInfo): void {
  maskedGradients.set(dx.dataId, x.dataId);
}

/** Whether `dy` already carries the ReLU gradient of output `y`. */
export function isMaskedFor(dy: TensorInfo, y: TensorInfo): boolean {
  return enabled() && maskedGradients.get(dy.dataId) === y.dataId;
}
