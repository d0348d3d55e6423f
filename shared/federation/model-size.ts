// How many values a task's model has, from its definition alone, so the hub (which never builds a
// model) can bound an initial-model upload by the model's size instead of its 4 GiB upload limit.
// The shapes mirror main/site/train/models (reference-cnn.ts, residual-net.ts, resnet18.ts, densenet121.ts); a spec there builds
// each model and checks the count matches.
import type { TaskDefinition } from './task-schema.ts';

const REFERENCE_CNN_WIDTHS = [16, 32, 64, 128];
const RESNET_STEM = 16;
const RESNET_STAGES = [32, 64, 128];
const RESNET18_WIDTHS = [64, 128, 256, 512];

/** The number of float32 values of the task's model, or null for an architecture this code does not know. */
export function modelValueCount(
  definition: Pick<TaskDefinition, 'model' | 'input' | 'labels'>,
): number | null {
  const classes = definition.labels.length;
  const channels = definition.input.channels;
  const conv = (k: number, cin: number, cout: number) => k * k * cin * cout;
  switch (definition.model.name) {
    case 'reference-cnn': {
      let cin = channels;
      let count = 0;
      for (const width of REFERENCE_CNN_WIDTHS) {
        count += conv(3, cin, width) + width;
        cin = width;
      }
      return count + cin * classes + classes;
    }
    // The group-norm twin keeps resnet-small's layout (its moving_* tensors stay unused).
    case 'resnet-small':
    case 'resnet-small-gn': {
      const batchNorm = (c: number) => 4 * c; // gamma, beta, moving mean, moving variance
      let count = conv(3, channels, RESNET_STEM) + batchNorm(RESNET_STEM);
      let cin = RESNET_STEM;
      for (const cout of RESNET_STAGES) {
        count += conv(3, cin, cout) + conv(3, cout, cout) + conv(1, cin, cout) + 3 * batchNorm(cout);
        cin = cout;
      }
      return count + 2 * cin * classes + classes; // the head sees average- and max-pooled features
    }
    case 'resnet-18': {
      const batchNorm = (c: number) => 4 * c;
      let count = conv(7, channels, 64) + batchNorm(64);
      let cin = 64;
      for (const cout of RESNET18_WIDTHS) {
        // Two basic blocks; the first of a wider layer has a 1×1 shortcut with its batch norm.
        count += conv(3, cin, cout) + conv(3, cout, cout) + 2 * batchNorm(cout);
        if (cin !== cout) count += conv(1, cin, cout) + batchNorm(cout);
        count += 2 * conv(3, cout, cout) + 2 * batchNorm(cout);
        cin = cout;
      }
      return count + cin * classes + classes;
    }
    case 'densenet-121': {
      const batchNorm = (c: number) => 4 * c;
      let count = conv(7, channels, 64) + batchNorm(64);
      let cin = 64;
      [6, 12, 24, 16].forEach((layers, block) => {
        // Each layer: bn, 1×1 conv to 128, bn, 3×3 conv to 32 (the growth rate), on all maps before it.
        for (let l = 0; l < layers; l++, cin += 32)
          count += batchNorm(cin) + conv(1, cin, 128) + batchNorm(128) + conv(3, 128, 32);
        // A transition between blocks: bn and a 1×1 conv to half the channels.
        if (block < 3) {
          count += batchNorm(cin) + conv(1, cin, cin / 2);
          cin /= 2;
        }
      });
      return count + batchNorm(cin) + cin * classes + classes;
    }
    default:
      return null;
  }
}
