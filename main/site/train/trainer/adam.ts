// Adam (Kingma & Ba 2015, PyTorch's form: w −= lr·m̂ / (√v̂ + ε)) with one fused update per weight
// tensor. tfjs's Adam runs about twelve kernels per weight tensor per step, each with a fixed cost
// that dominates small models (a residual network has forty weight tensors): on WebAssembly this
// update is one pass in JavaScript over the module's memory, on WebGPU one WGSL dispatch per tensor
// (fused-optimizer.ts says where the moments live on each backend).
import { tf } from '../backend/index.ts';
import { adamUpdateOnGpu, type GpuBuffer } from '../kernels/index.ts';
import { FusedOptimizer } from './fused-optimizer.ts';

export class FusedAdam extends FusedOptimizer {
  constructor(
    learningRate: number,
    readonly beta1 = 0.9,
    readonly beta2 = 0.999,
    readonly epsilon = 1e-8,
  ) {
    super(learningRate, 'adam', ['m', 'v']);
  }

  /** lr / (1 − β1ᵗ) and 1 / (1 − β2ᵗ), in float64 (tfjs keeps βᵗ in float32). */
  private corrections(): { rate: number; correction2: number } {
    return {
      rate: this.learningRate / (1 - this.beta1 ** this.step),
      correction2: 1 / (1 - this.beta2 ** this.step),
    };
  }

  protected heapLoop(w: Float32Array, g: Float32Array, [m, v]: Float32Array[], next: Float32Array): void {
    const { beta1: b1, beta2: b2, epsilon } = this;
    const { rate, correction2 } = this.corrections();
    for (let i = 0; i < next.length; i++) {
      const gi = g[i]!;
      const mi = b1 * m![i]! + (1 - b1) * gi;
      const vi = b2 * v![i]! + (1 - b2) * gi * gi;
      m![i] = mi;
      v![i] = vi;
      next[i] = w[i]! - (rate * mi) / (Math.sqrt(vi * correction2) + epsilon);
    }
  }

  protected gpuUpdate(w: tf.TensorInfo, g: tf.TensorInfo, [m, v]: GpuBuffer[]): tf.TensorInfo {
    const { beta1, beta2, epsilon } = this;
    return adamUpdateOnGpu(
      tf.backend(),
      w,
      g,
      { m: m!, v: v! },
      { ...this.corrections(), beta1, beta2, epsilon },
    );
  }

  protected opsUpdate(w: tf.Tensor, g: tf.Tensor, [m, v]: tf.Variable[]): tf.Tensor {
    const mi = tf.add(tf.mul(m!, this.beta1), tf.mul(g, 1 - this.beta1));
    const vi = tf.add(tf.mul(v!, this.beta2), tf.mul(tf.square(g), 1 - this.beta2));
    m!.assign(mi);
    v!.assign(vi);
    const mHat = tf.div(mi, 1 - this.beta1 ** this.step);
    const vHat = tf.div(vi, 1 - this.beta2 ** this.step);
    return tf.sub(w, tf.mul(tf.div(mHat, tf.add(tf.sqrt(vHat), this.epsilon)), this.learningRate));
  }
}
