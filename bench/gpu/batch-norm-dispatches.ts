// Compute dispatches per training step with batch normalisation fused on WebGPU and with tfjs's ops
// (batch-norm-ab.ts), on whatever adapter Dawn finds: on a machine without a GPU that is
// SwiftShader, which gives the counts (docs/benchmarks.md) but no time worth quoting.
// Run (SwiftShader: after one WebGPU spec has made node_modules/.cache/software-webgpu):
//   export LD_LIBRARY_PATH=$PWD/node_modules/.cache/software-webgpu \
//     VK_ICD_FILENAMES=$PWD/node_modules/.cache/software-webgpu/vk_swiftshader_icd.json
//   node --import tsx bench/gpu/batch-norm-dispatches.ts [--model resnet-18] [--size 224] [--batch 8]
import { parseArgs } from 'node:util';
import { batchNormAb } from './batch-norm-ab.ts';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'resnet-18' },
    size: { type: 'string', default: '224' },
    batch: { type: 'string', default: '8' },
  },
});
const figures = await batchNormAb({
  model: values.model,
  size: Number(values.size),
  batch: Number(values.batch),
  log: (line) => process.stderr.write(`${line}\n`),
});
process.stdout.write(`${JSON.stringify({ ...values, figures })}\n`);
process.exit(0);
