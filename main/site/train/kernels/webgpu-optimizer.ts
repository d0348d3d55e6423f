// The optimiser's update of one weight tensor as one WGSL dispatch. tfjs's ops take about ten kernels
// per tensor (mul, add, square, div, sqrt, sub…), ~600 dispatches a step for ResNet-18's 62 tensors,
// each with a fixed cost that made up most of a step on an H200 (issue 21). The state (Adam's moments,
// SGD's momentum) lives in buffers only the optimiser holds and is updated in place; the new weights go
// into a fresh tensor that the variable is assigned, so no tensor that may share a buffer is written.
// f32 throughout: SwiftShader and many adapters have no shader-f16.
import type { KernelBackend, TensorInfo } from '@tensorflow/tfjs-core';
import { WebgpuCommandStream, WORKGROUP_SIZE, type GpuBuffer } from './webgpu-command-stream.ts';

/** The invocation's element: workgroups are spread over x and y (webgpu-command-stream.ts, dispatch). */
const ELEMENT_INDEX = `let i = id.y * groups.x * ${WORKGROUP_SIZE}u + id.x;`;

/** PyTorch's Adam; the same expression, in the same order, as FusedAdam's loop on the WebAssembly heap. */
const ADAM_WGSL = `
struct AdamStep {
  rate : f32,          // lr / (1 − β1ᵗ)
  beta1 : f32,
  oneMinusBeta1 : f32,
  beta2 : f32,
  oneMinusBeta2 : f32,
  correction2 : f32,   // 1 / (1 − β2ᵗ)
  epsilon : f32,
  size : u32,
};
@group(0) @binding(0) var<storage, read> weights : array<f32>;
@group(0) @binding(1) var<storage, read> gradient : array<f32>;
@group(0) @binding(2) var<storage, read_write> m : array<f32>;
@group(0) @binding(3) var<storage, read_write> v : array<f32>;
@group(0) @binding(4) var<storage, read_write> updated : array<f32>;
@group(0) @binding(5) var<uniform> adam : AdamStep;

@compute @workgroup_size(${WORKGROUP_SIZE})
fn main(@builtin(global_invocation_id) id : vec3<u32>, @builtin(num_workgroups) groups : vec3<u32>) {
  ${ELEMENT_INDEX}
  if (i >= adam.size) { return; }
  let g = gradient[i];
  let mi = adam.beta1 * m[i] + adam.oneMinusBeta1 * g;
  let vi = adam.beta2 * v[i] + adam.oneMinusBeta2 * g * g;
  m[i] = mi;
  v[i] = vi;
  updated[i] = weights[i] - (adam.rate * mi) / (sqrt(vi * adam.correction2) + adam.epsilon);
}
`;

/** PyTorch's SGD with momentum, dampening 0, no weight decay: b = μ·b + g; w −= lr·b (Nesterov: lr·(g + μ·b)). */
const SGD_MOMENTUM_WGSL = `
struct SgdStep {
  learningRate : f32,
  momentum : f32,
  nesterov : u32,
  size : u32,
};
@group(0) @binding(0) var<storage, read> weights : array<f32>;
@group(0) @binding(1) var<storage, read> gradient : array<f32>;
@group(0) @binding(2) var<storage, read_write> velocity : array<f32>;
@group(0) @binding(3) var<storage, read_write> updated : array<f32>;
@group(0) @binding(4) var<uniform> sgd : SgdStep;

@compute @workgroup_size(${WORKGROUP_SIZE})
fn main(@builtin(global_invocation_id) id : vec3<u32>, @builtin(num_workgroups) groups : vec3<u32>) {
  ${ELEMENT_INDEX}
  if (i >= sgd.size) { return; }
  let g = gradient[i];
  let b = sgd.momentum * velocity[i] + g;
  velocity[i] = b;
  let direction = select(b, g + sgd.momentum * b, sgd.nesterov == 1u);
  updated[i] = weights[i] - sgd.learningRate * direction;
}
`;

export interface AdamCoefficients {
  /** lr / (1 − β1ᵗ). */
  rate: number;
  beta1: number;
  beta2: number;
  /** 1 / (1 − β2ᵗ). */
  correction2: number;
  epsilon: number;
}

export interface SgdMomentumCoefficients {
  learningRate: number;
  momentum: number;
  nesterov: boolean;
}

function checkGradient(weights: TensorInfo, gradient: TensorInfo): number {
  const size = weights.shape.reduce((p, s) => p * s, 1);
  const gradientSize = gradient.shape.reduce((p, s) => p * s, 1);
  if (size === 0) throw new Error('An empty weight tensor has nothing to update.');
  if (gradientSize !== size || gradient.dtype !== 'float32' || weights.dtype !== 'float32') {
    throw new Error(
      `A gradient of shape [${gradient.shape.join(', ')}] (${gradient.dtype}) does not fit weights of shape [${weights.shape.join(', ')}] (${weights.dtype}).`,
    );
  }
  return size;
}

/** One Adam step of `weights` in one dispatch: updates `m` and `v` in place, returns the new weights. */
export function adamUpdateOnGpu(
  backend: KernelBackend,
  weights: TensorInfo,
  gradient: TensorInfo,
  moments: { m: GpuBuffer; v: GpuBuffer },
  c: AdamCoefficients,
): TensorInfo {
  const size = checkGradient(weights, gradient);
  const stream = new WebgpuCommandStream(backend);
  const updated = stream.makeOutput(weights.shape);
  stream.dispatch(
    stream.pipeline('radfedAdamUpdate', ADAM_WGSL),
    [stream.bufferOf(weights), stream.bufferOf(gradient), moments.m, moments.v, stream.bufferOf(updated)],
    [
      // Coefficients in float64 here, rounded once to f32: 1 − β computed in f32 would be off by ~2e-7.
      ...[c.rate, c.beta1, 1 - c.beta1, c.beta2, 1 - c.beta2, c.correction2, c.epsilon].map(
        (value): { type: 'float32'; data: number[] } => ({ type: 'float32', data: [value] }),
      ),
      { type: 'uint32', data: [size] },
    ],
    size,
  );
  return updated;
}

/** One step of SGD with momentum in one dispatch: updates `velocity` in place, returns the new weights. */
export function sgdMomentumUpdateOnGpu(
  backend: KernelBackend,
  weights: TensorInfo,
  gradient: TensorInfo,
  velocity: GpuBuffer,
  c: SgdMomentumCoefficients,
): TensorInfo {
  const size = checkGradient(weights, gradient);
  const stream = new WebgpuCommandStream(backend);
  const updated = stream.makeOutput(weights.shape);
  stream.dispatch(
    stream.pipeline('radfedSgdMomentumUpdate', SGD_MOMENTUM_WGSL),
    [stream.bufferOf(weights), stream.bufferOf(gradient), velocity, stream.bufferOf(updated)],
    [
      { type: 'float32', data: [c.learningRate] },
      { type: 'float32', data: [c.momentum] },
      { type: 'uint32', data: [c.nesterov ? 1 : 0] },
      { type: 'uint32', data: [size] },
    ],
    size,
  );
  return updated;
}
