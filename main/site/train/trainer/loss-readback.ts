// Each training step's loss read back one step late. Reading a loss waits for the step that made it
// to finish; on a GPU that stalls the queue every step (the step's kernels take ~10 ms of the ~43 ms
// a step took on an H200, issue 21). Read one step late, the next step (its batch uploaded, its
// kernels queued) is already on its way while the previous loss comes back, so batches go up ahead and
// the GPU is never left idle for a read. On WebAssembly and the CPU the step has run by the time its
// loss is asked for, and nothing changes but the order of the progress events.
import type { tf } from '../backend/index.ts';

export interface ReadLoss<T> {
  value: number;
  /** What the caller gave with the loss (its batch's size, its index). */
  step: T;
}

export class LossReadback<T> {
  private pending: { loss: tf.Scalar; step: T } | undefined;

  /** Keeps this step's loss and reads the previous one's, if any. Takes ownership of `loss`. */
  async push(loss: tf.Scalar, step: T): Promise<ReadLoss<T> | undefined> {
    const previous = this.pending;
    this.pending = { loss, step };
    return previous ? this.read(previous) : undefined;
  }

  /** Reads the last step's loss (the end of an epoch). */
  async flush(): Promise<ReadLoss<T> | undefined> {
    const last = this.pending;
    this.pending = undefined;
    return last ? this.read(last) : undefined;
  }

  /** Frees a loss not read (a cancelled or failed epoch). */
  dispose(): void {
    this.pending?.loss.dispose();
    this.pending = undefined;
  }

  private async read({ loss, step }: { loss: tf.Scalar; step: T }): Promise<ReadLoss<T>> {
    try {
      return { value: (await loss.data())[0]!, step };
    } finally {
      loss.dispose();
    }
  }
}
