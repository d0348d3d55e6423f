// The registry's models (shapes, determinism, batch norm) and the weights format (round trip,
// byte order, refusal of damaged or mismatched files).
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend, tf } from '../backend/index.ts';
import {
  assignModelValues,
  createModel,
  decodeWeights,
  encodeModel,
  readWeightsFiles,
  WEIGHTS_FORMAT_VERSION,
  writeWeightsFiles,
} from './index.ts';

let dir: string;
beforeAll(async () => {
  await selectBackend({ choice: 'wasm' });
  dir = await mkdtemp(join(tmpdir(), 'radfed-models-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const images = (n: number, size: number) =>
  tf.randomNormal([n, size, size, 1], 0, 1, 'float32', 7) as tf.Tensor4D;

describe('model registry', () => {
  it('the reference CNN has the PyTorch reference layout and gives [batch, classes] logits', () => {
    const model = createModel('reference-cnn', { inputSize: 64, channels: 1, numClasses: 2 });
    expect(model.parameters.map((p) => `${p.name}:${p.variable.shape.join('x')}`)).toEqual([
      'conv1/kernel:3x3x1x16',
      'conv1/bias:16',
      'conv2/kernel:3x3x16x32',
      'conv2/bias:32',
      'conv3/kernel:3x3x32x64',
      'conv3/bias:64',
      'conv4/kernel:3x3x64x128',
      'conv4/bias:128',
      'head/kernel:128x2',
      'head/bias:2',
    ]);
    const x = images(3, 64);
    expect(model.logits(x).shape).toEqual([3, 2]);
    model.dispose();
  });

  it('the same seed builds the same initial weights, another seed different ones', () => {
    const values = (seed: number) => {
      const model = createModel('resnet-small', { inputSize: 64, channels: 1, numClasses: 2, seed });
      const first = model.parameters[0]!.variable.dataSync().slice(0, 16);
      model.dispose();
      return Array.from(first);
    };
    expect(values(5)).toEqual(values(5));
    expect(values(5)).not.toEqual(values(6));
  });

  it('the residual network updates batch-norm running statistics only when training', () => {
    const model = createModel('resnet-small', { inputSize: 64, channels: 1, numClasses: 3 });
    const mean = model.parameters.find((p) => p.name === 'stem/bn/moving_mean')!;
    expect(mean.trainable).toBe(false);
    const x = tf.add(images(4, 64), 3) as tf.Tensor4D;
    expect(model.logits(x).shape).toEqual([4, 3]);
    expect(Math.max(...mean.variable.dataSync())).toBe(0);
    model.logits(x, { training: true });
    expect(Math.max(...mean.variable.dataSync().map(Math.abs))).toBeGreaterThan(0.01);
    model.dispose();
  });

  it('refuses an unknown architecture with the list of known ones', () => {
    expect(() => createModel('vgg-huge', { inputSize: 64, channels: 1, numClasses: 2 })).toThrow(
      /resnet-small/,
    );
  });
});

describe('weights format', () => {
  it('round-trips a model through files: same names, shapes and values, and the same outputs', async () => {
    const a = createModel('resnet-small', { inputSize: 64, channels: 1, numClasses: 2, seed: 1 });
    a.logits(images(4, 64), { training: true }); // non-trivial running statistics
    await writeWeightsFiles(join(dir, 'model'), await encodeModel(a));
    const b = createModel('resnet-small', { inputSize: 64, channels: 1, numClasses: 2, seed: 2 });
    const loaded = await readWeightsFiles(join(dir, 'model'));
    expect(loaded.manifest.version).toBe(WEIGHTS_FORMAT_VERSION);
    assignModelValues(b, loaded.tensors, loaded.manifest.meta);
    for (let i = 0; i < a.parameters.length; i++) {
      expect(b.parameters[i]!.name).toBe(a.parameters[i]!.name);
      expect(Array.from(b.parameters[i]!.variable.dataSync())).toEqual(
        Array.from(a.parameters[i]!.variable.dataSync()),
      );
    }
    const x = images(2, 64);
    expect(Array.from(b.logits(x).dataSync())).toEqual(Array.from(a.logits(x).dataSync()));
    a.dispose();
    b.dispose();
  });

  it('stores float32 little-endian at the offsets the manifest names', async () => {
    const model = createModel('reference-cnn', { inputSize: 32, channels: 1, numClasses: 2 });
    await writeWeightsFiles(join(dir, 'ref'), await encodeModel(model));
    const manifest = JSON.parse(await readFile(join(dir, 'ref.json'), 'utf8'));
    const data = await readFile(join(dir, 'ref.bin'));
    const head = manifest.tensors.find((t: { name: string }) => t.name === 'head/bias');
    const expected = model.parameters.find((p) => p.name === 'head/bias')!.variable.dataSync();
    expect(data.readFloatLE(head.offset + 4)).toBe(expected[1]);
    expect(manifest).toMatchObject({
      format: 'radfed-weights',
      dtype: 'float32',
      byteOrder: 'little-endian',
    });
    model.dispose();
  });

  it('refuses a truncated binary, a changed byte, another version and a mismatched model', async () => {
    const model = createModel('reference-cnn', { inputSize: 32, channels: 1, numClasses: 2 });
    const { manifest, data } = await encodeModel(model);
    expect(() => decodeWeights(manifest, data.subarray(0, data.length - 4))).toThrow(/truncated/);
    const changed = data.slice();
    changed[10]! ^= 1;
    expect(() => decodeWeights(manifest, changed)).toThrow(/SHA-256/);
    expect(() => decodeWeights({ ...manifest, version: 99 }, data)).toThrow(/version 99/);
    const other = createModel('reference-cnn', { inputSize: 32, channels: 1, numClasses: 3 });
    expect(() => assignModelValues(other, decodeWeights(manifest, data).tensors)).toThrow(
      /head\/kernel has shape/,
    );
    const resnet = createModel('resnet-small', { inputSize: 32, channels: 1, numClasses: 2 });
    expect(() => assignModelValues(resnet, decodeWeights(manifest, data).tensors, manifest.meta)).toThrow(
      /reference-cnn model/,
    );
    await writeFile(join(dir, 'bad.json'), '{not json');
    await expect(readWeightsFiles(join(dir, 'bad'))).rejects.toThrow(
      /weights manifest .*bad\.json is not valid JSON: it goes wrong at line 1, column 2\./,
    );
    await expect(readWeightsFiles(join(dir, 'none'))).rejects.toThrow(
      /Cannot read the weights manifest .*none\.json \(ENOENT\): check the path\./,
    );
    [model, other, resnet].forEach((m) => m.dispose());
  });
});
