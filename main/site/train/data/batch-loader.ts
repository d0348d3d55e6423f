// Streams training batches from a list of labelled files with bounded memory, whatever the cohort
// size: a few batches are prepared ahead (`prefetch`), each from `concurrency` files at a time. Each
// epoch visits the files in a new order drawn from (seed, epoch), and can augment.
import { errorCode, safeMessage } from '../../../../shared/log-safety.ts';
import { TrainError } from '../errors.ts';
import { augmentImage, type AugmentOptions } from './augment.ts';
import { createImageSource } from './image-source.ts';
import type { PrepareRecipe } from './prepare-image.ts';
import { SeededRandom } from './seeded-random.ts';

export interface LabelledImage {
  path: string;
  label: number;
  /** Pseudonymous patient key (the split keeps a patient's images on one side). */
  patient: string;
}

export interface Batch {
  /** batch × size × size × 1, normalised to [−1, 1]. */
  images: Float32Array;
  labels: Int32Array;
  count: number;
  /** Positions of these images in the item list (for metrics per image). */
  indices: Uint32Array;
}

export interface BatchLoaderOptions {
  items: readonly LabelledImage[];
  recipe: PrepareRecipe;
  batchSize: number;
  cacheDir?: string;
  seed?: number;
  /** Visit the items in a new random order each epoch (default true). */
  shuffle?: boolean;
  /** Augment (training) or not (validation, default). */
  augment?: AugmentOptions | false;
  /** Batches prepared ahead of the one being used (default 2). */
  prefetch?: number;
  /** Files read and prepared at once (default 4). */
  concurrency?: number;
  /** Called for each image decoded rather than read from the cache. */
  onDecoded?: () => void;
}

export class BatchLoader {
  readonly batchesPerEpoch: number;
  private readonly source;

  constructor(private readonly options: BatchLoaderOptions) {
    if (options.items.length === 0) throw new TrainError('empty-cohort', 'There are no images to train on.');
    if (!(options.batchSize >= 1))
      throw new TrainError('invalid-option', 'The batch size must be at least 1.');
    this.batchesPerEpoch = Math.ceil(options.items.length / options.batchSize);
    this.source = createImageSource(options.recipe, options.cacheDir);
  }

  /** The order in which `epoch` visits the items. */
  order(epoch: number): Uint32Array {
    const n = this.options.items.length;
    if (this.options.shuffle === false) return Uint32Array.from({ length: n }, (_, i) => i);
    return new SeededRandom(((this.options.seed ?? 0) * 7919 + epoch * 104729) >>> 0).permutation(n);
  }

  async *epoch(epoch: number, signal?: AbortSignal): AsyncGenerator<Batch> {
    const order = this.order(epoch);
    const prefetch = Math.max(1, this.options.prefetch ?? 2);
    const pending: Promise<Batch>[] = [];
    let next = 0;
    const schedule = () => {
      while (pending.length < prefetch && next < this.batchesPerEpoch) {
        const batch = this.makeBatch(epoch, order, next++);
        batch.catch(() => {}); // awaited below; avoid an unhandled rejection while it waits its turn
        pending.push(batch);
      }
    };
    schedule();
    while (pending.length > 0) {
      if (signal?.aborted) return;
      const batch = await pending.shift()!;
      schedule();
      yield batch;
    }
  }

  private makeBatch(epoch: number, order: Uint32Array, index: number): Promise<Batch> {
    const start = index * this.options.batchSize;
    return this.batchOf(epoch, order.slice(start, Math.min(order.length, start + this.options.batchSize)));
  }

  /**
   * The images at these positions of the item list, in that order, augmented as `epoch` augments
   * them (patient-level DP-SGD draws its own sample of patients each step and loads it here).
   */
  async batchOf(epoch: number, indices: Uint32Array): Promise<Batch> {
    const { items, recipe } = this.options;
    const pixels = recipe.size * recipe.size;
    const images = new Float32Array(indices.length * pixels);
    const labels = new Int32Array(indices.length);
    const concurrency = Math.max(1, this.options.concurrency ?? 4);
    let cursor = 0;
    const worker = async () => {
      while (cursor < indices.length) {
        const k = cursor++;
        const item = items[indices[k]!]!;
        const { image, cached } = await this.source.load(item.path, item.patient).catch((error: unknown) => {
          throw new TrainError(
            (error as TrainError).code ?? 'corrupt-pixel-data',
            `Image ${indices[k]! + 1} of the cohort could not be prepared: ${safeMessage(error) ?? errorCode(error)}`,
            { cause: error },
          );
        });
        if (!cached) this.options.onDecoded?.();
        const augment = this.options.augment;
        const ready = augment
          ? augmentImage(
              image,
              recipe.size,
              new SeededRandom(hash(this.options.seed ?? 0, epoch, indices[k]!)),
              augment,
            )
          : image;
        const out = images.subarray(k * pixels, (k + 1) * pixels);
        for (let i = 0; i < pixels; i++) out[i] = ready[i]! * 2 - 1;
        labels[k] = item.label;
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, indices.length) }, worker));
    return { images, labels, count: indices.length, indices };
  }
}

function hash(seed: number, epoch: number, index: number): number {
  let h = (seed ^ 0x9e3779b9) >>> 0;
  for (const v of [epoch, index]) h = Math.imul(h ^ v, 0x85ebca6b) >>> 0;
  return h;
}
