// The bytes one site sends the hub at the end of a split-learning round, exactly (no timing, so no load
// in it): the round's update sealed for the hub, plain (float32, or the task's compression) and masked
// for secure aggregation (one 32-bit word per value plus the weight), for the whole model (what a split
// site sent before its update held the segments only) and for its segments (the bottom and the head at
// the model's own cuts). Run: npx tsx main/site/train/split/split-update-bytes.ts [inputSize]
// (the parameters, and so the bytes, do not depend on the input size).
import { generateKeyPairSync } from 'node:crypto';
import {
  encodeWeights,
  roundTensors,
  taskDefinitionSchema,
  type NamedTensor,
} from '../../../../shared/federation/index.ts';
import { rawPublicKey, sealForHub, uploadContext } from '../../../../shared/node/federation/index.ts';
import { encodeMaskedInput } from '../../../../shared/node/secagg/index.ts';
import { selectBackend } from '../backend/index.ts';
import { createModel } from '../models/index.ts';

const inputSize = Number(process.argv[2] ?? 16);
const hubKey = rawPublicKey(generateKeyPairSync('x25519').publicKey);
const context = uploadContext({ taskId: 'task', round: 1, siteId: 'site', kind: 'delta' });

function sealedBytes(tensors: readonly NamedTensor[]) {
  const values = tensors.reduce((n, t) => n + t.data.length, 0);
  return {
    values,
    plain: sealForHub(encodeWeights(tensors, 'none'), hubKey, context).byteLength,
    masked: sealForHub(encodeMaskedInput(new Uint32Array(values + 1)), hubKey, context).byteLength,
  };
}

await selectBackend({ choice: 'cpu' });
const rows: string[] = [];
for (const architecture of ['resnet-small', 'resnet-small-gn', 'reference-cnn']) {
  const model = createModel(architecture, { inputSize, channels: 1, numClasses: 2, seed: 0 });
  const weights: NamedTensor[] = await Promise.all(
    model.parameters.map(async (p) => ({
      name: p.name,
      shape: [...p.variable.shape],
      data: new Float32Array(await p.variable.data()),
    })),
  );
  model.dispose();
  const definition = taskDefinitionSchema.parse({
    name: 'bytes',
    model: { name: architecture },
    input: { size: inputSize },
    labels: ['normal', 'nodule'],
    rounds: 1,
    localEpochs: 1,
    batchSize: 8,
    optimizer: { name: 'adam', learningRate: 0.001 },
    strategy: { name: 'splitfed' },
    quorum: 2,
    roundDeadlineSeconds: 60,
  });
  const whole = sealedBytes(weights);
  const segments = sealedBytes(roundTensors(definition, weights));
  const share = (n: number, of: number) => `${((100 * n) / of).toFixed(1)}%`;
  rows.push(
    `| ${architecture} | ${whole.values.toLocaleString('en-US')} → ${segments.values.toLocaleString('en-US')} ` +
      `| ${whole.plain.toLocaleString('en-US')} B → ${segments.plain.toLocaleString('en-US')} B (${share(segments.plain, whole.plain)}) ` +
      `| ${whole.masked.toLocaleString('en-US')} B → ${segments.masked.toLocaleString('en-US')} B (${share(segments.masked, whole.masked)}) |`,
  );
}
process.stdout.write(
  '| model | values in the update | sealed, plain float32 | sealed, masked (secure aggregation) |\n' +
    '|---|---|---|---|\n' +
    `${rows.join('\n')}\n`,
);
