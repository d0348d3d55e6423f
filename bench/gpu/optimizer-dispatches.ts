// Compute dispatches per training step with the optimiser's update fused on WebGPU and with tfjs's
// ops (optimizer-ab.ts), on whatever adapter Dawn finds: on a machine without a GPU that is
// SwiftShader, which gives the counts (docs/benchmarks.md) but no time worth quoting.
// Run (SwiftShader: after one WebGPU spec has made node_modules/.cache/software-webgpu):
//   export LD_LIBRARY_PATH=$PWD/node_modules/.cache/software-webgpu \
//     VK_ICD_FILENAMES=$PWD/node_modules/.cache/software-webgpu/vk_swiftshader_icd.json
//   node --import tsx bench/gpu/optimizer-dispatches.ts [--model resnet-18] [--size 224] [--batch 1] [--optimizer sgd-momentum] [--update fused]
import { parseArgs } from 'node:util';
import type { OptimizerName } from '../../main/site/train/index.ts';
import { optimizerAb } from './optimizer-ab.ts';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'reference-cnn' },
    size: { type: 'string', default: '64' },
    batch: { type: 'string', default: '2' },
    optimizer: { type: 'string', default: 'adam' },
    // ops, fused, or both (the default)
    update: { type: 'string' },
  },
});
const figures = await optimizerAb({
  model: values.model,
  size: Number(values.size),
  batch: Number(values.batch),
  optimizer: values.optimizer as OptimizerName,
  updates: values.update ? [values.update as 'ops' | 'fused'] : undefined,
  log: (line) => process.stderr.write(`${line}\n`),
});
process.stdout.write(`${JSON.stringify({ ...values, figures })}\n`);
process.exit(0);
