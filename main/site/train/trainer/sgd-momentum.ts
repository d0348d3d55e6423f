// SGD with momentum in PyTorch's form (torch.optim.SGD with momentum μ, dampening 0, weight decay 0):
// b = μ·b + g; w −= lr·b, or with Nesterov w −= lr·(g + μ·b). PyTorch's first step sets b = g, which is
// the same as μ·0 + g from a zero buffer. One fused update per weight tensor, as FusedAdam.
import { tf } from '../backend/index.ts';
import { sgdMomentumUpdateOnGpu, type GpuBuffer } from '../kernels/index.ts';
import { FusedOptimizer } from './fused-optimizer.ts';

export class SgdMomentum extends FusedOptimizer {
  constructor(
    learningRate: number,
    readonly momentum = 0.9,
    readonly nesterov = false,
  ) {
    super(learningRate, 'sgd-momentum', ['momentum']);
  }

  protected heapLoop(w: Float32Array, g: Float32Array, [b]: Float32Array[], next: Float32Array): void {
    const { learningRate: lr, momentum: mu, nesterov } = this;
    for (let i = 0; i < next.length; i++) {
      const gi = g[i]!;
      const bi = mu * b![i]! + gi;
      b![i] = bi;
      next[i] = w[i]! - lr * (nesterov ? gi + mu * bi : bi);
    }
  }

  protected gpuUpdate(w: tf.TensorInfo, g: tf.TensorInfo, [b]: GpuBuffer[]): tf.TensorInfo {
    const { learningRate, momentum, nesterov } = this;
    return sgdMomentumUpdateOnGpu(tf.backend(), w, g, b!, { learningRate, momentum, nesterov });
  }

  protected opsUpdate(w: tf.Tensor, g: tf.Tensor, [b]: tf.Variable[]): tf.Tensor {
    const bi = tf.add(tf.mul(b!, this.momentum), g);
    b!.assign(bi);
    const direction = this.nesterov ? tf.add(g, tf.mul(bi, this.momentum)) : bi;
    return tf.sub(w, tf.mul(direction, this.learningRate));
  }
}
