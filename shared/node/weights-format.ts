// The radfed-weights format: named float32 tensors as a JSON manifest (names, shapes, offsets, trainable,
// the data's SHA-256) and one little-endian data block. The site's model files (main/site/train/models/
// weights-format.ts) and the split trunk's checkpoint (shared/node/split/trunk-checkpoint-format.ts,
// which the hub's model export reads too) both hold their tensors in it: one encoder, one decoder.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { RadfedError } from '../errors.ts';

export const WEIGHTS_FORMAT = 'radfed-weights';
export const WEIGHTS_FORMAT_VERSION = 1;

/** A tensor list or weights data that is not a valid radfed-weights file; the message says why. */
export class WeightsFormatError extends RadfedError<'invalid-weights'> {
  override readonly name = 'WeightsFormatError';
}

const tensorEntry = z.object({
  name: z.string().min(1),
  shape: z.array(z.number().int().nonnegative()),
  offset: z.number().int().nonnegative(),
  length: z.number().int().nonnegative(),
  trainable: z.boolean(),
});

export const weightsManifestSchema = z.object({
  format: z.literal(WEIGHTS_FORMAT),
  version: z.literal(WEIGHTS_FORMAT_VERSION),
  dtype: z.literal('float32'),
  byteOrder: z.literal('little-endian'),
  /** What the tensors belong to: a model's architecture and config, or an optimizer's state. */
  meta: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
  tensors: z.array(tensorEntry),
  byteLength: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});

export type WeightsManifest = z.infer<typeof weightsManifestSchema>;

export interface NamedValues {
  name: string;
  shape: number[];
  values: Float32Array;
  trainable: boolean;
}

const refuse = (message: string) => new WeightsFormatError('invalid-weights', message);

export function encodeWeights(
  tensors: readonly NamedValues[],
  meta: WeightsManifest['meta'],
): { manifest: WeightsManifest; data: Uint8Array } {
  const byteLength = tensors.reduce((sum, t) => sum + t.values.length * 4, 0);
  const data = new Uint8Array(byteLength);
  const view = new DataView(data.buffer);
  const entries: WeightsManifest['tensors'] = [];
  const names = new Set<string>();
  let offset = 0;
  for (const t of tensors) {
    if (names.has(t.name)) throw refuse(`Two tensors are named ${t.name}.`);
    names.add(t.name);
    if (t.shape.reduce((p, s) => p * s, 1) !== t.values.length) {
      throw refuse(`Tensor ${t.name} has ${t.values.length} values for shape ${t.shape}.`);
    }
    entries.push({
      name: t.name,
      shape: [...t.shape],
      offset,
      length: t.values.length,
      trainable: t.trainable,
    });
    for (let i = 0; i < t.values.length; i++, offset += 4) view.setFloat32(offset, t.values[i]!, true);
  }
  const manifest: WeightsManifest = {
    format: WEIGHTS_FORMAT,
    version: WEIGHTS_FORMAT_VERSION,
    dtype: 'float32',
    byteOrder: 'little-endian',
    meta,
    tensors: entries,
    byteLength,
    sha256: createHash('sha256').update(data).digest('hex'),
  };
  return { manifest, data };
}

export function decodeWeights(
  manifestJson: unknown,
  data: Uint8Array,
): { manifest: WeightsManifest; tensors: NamedValues[] } {
  const parsed = weightsManifestSchema.safeParse(manifestJson);
  if (!parsed.success) {
    const version = (manifestJson as { version?: unknown } | null)?.version;
    const hint =
      typeof version === 'number' && version !== WEIGHTS_FORMAT_VERSION
        ? ` It is version ${version}; this RadFed reads version ${WEIGHTS_FORMAT_VERSION}: update RadFed.`
        : '';
    throw refuse(`The weights manifest is not a valid ${WEIGHTS_FORMAT} file.${hint}`);
  }
  const manifest = parsed.data;
  if (data.length !== manifest.byteLength) {
    throw refuse(
      `The weights data has ${data.length} bytes where the manifest says ${manifest.byteLength}: the file is truncated or belongs to another manifest.`,
    );
  }
  if (createHash('sha256').update(data).digest('hex') !== manifest.sha256) {
    throw refuse('The weights data does not match its manifest (SHA-256 differs).');
  }
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const tensors = manifest.tensors.map((t) => {
    if (t.shape.reduce((p, s) => p * s, 1) !== t.length || t.offset + t.length * 4 > data.length) {
      throw refuse(`Tensor ${t.name} does not fit the weights data.`);
    }
    const values = new Float32Array(t.length);
    for (let i = 0; i < t.length; i++) values[i] = view.getFloat32(t.offset + i * 4, true);
    return { name: t.name, shape: t.shape, values, trainable: t.trainable };
  });
  return { manifest, tensors };
}
