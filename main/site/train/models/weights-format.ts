// The weights file format, stable and versioned, so that a model saved by one RadFed version at one
// site loads at another and a federated round can exchange it:
//   <name>.json  manifest: format name and version, the model it belongs to, and for each tensor its
//                name, shape, byte offset and element count;
//   <name>.bin   the tensors' values back to back, float32, little-endian whatever the machine.
// The manifest carries the SHA-256 of the binary, so a truncated or mixed-up pair is refused.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { writeFileAtomicallyAsync } from '../../../../shared/node/index.ts';
import { TrainError } from '../errors.ts';

export const WEIGHTS_FORMAT = 'radfed-weights';
export const WEIGHTS_FORMAT_VERSION = 1;

const tensorEntry = z.object({
  name: z.string().min(1),
  shape: z.array(z.number().int().nonnegative()),
  offset: z.number().int().nonnegative(),
  length: z.number().int().nonnegative(),
  trainable: z.boolean(),
});

const manifestSchema = z.object({
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

export type WeightsManifest = z.infer<typeof manifestSchema>;

export interface NamedValues {
  name: string;
  shape: number[];
  values: Float32Array;
  trainable: boolean;
}

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
    if (names.has(t.name)) throw new TrainError('invalid-weights', `Two tensors are named ${t.name}.`);
    names.add(t.name);
    if (t.shape.reduce((p, s) => p * s, 1) !== t.values.length) {
      throw new TrainError(
        'invalid-weights',
        `Tensor ${t.name} has ${t.values.length} values for shape ${t.shape}.`,
      );
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
  const parsed = manifestSchema.safeParse(manifestJson);
  if (!parsed.success) {
    const version = (manifestJson as { version?: unknown } | null)?.version;
    const hint =
      typeof version === 'number' && version !== WEIGHTS_FORMAT_VERSION
        ? ` It is version ${version}; this RadFed reads version ${WEIGHTS_FORMAT_VERSION}: update RadFed.`
        : '';
    throw new TrainError(
      'invalid-weights',
      `The weights manifest is not a valid ${WEIGHTS_FORMAT} file.${hint}`,
    );
  }
  const manifest = parsed.data;
  if (data.length !== manifest.byteLength) {
    throw new TrainError(
      'invalid-weights',
      `The weights data has ${data.length} bytes where the manifest says ${manifest.byteLength}: the file is truncated or belongs to another manifest.`,
    );
  }
  if (createHash('sha256').update(data).digest('hex') !== manifest.sha256) {
    throw new TrainError(
      'invalid-weights',
      'The weights data does not match its manifest (SHA-256 differs).',
    );
  }
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const tensors = manifest.tensors.map((t) => {
    if (t.shape.reduce((p, s) => p * s, 1) !== t.length || t.offset + t.length * 4 > data.length) {
      throw new TrainError('invalid-weights', `Tensor ${t.name} does not fit the weights data.`);
    }
    const values = new Float32Array(t.length);
    for (let i = 0; i < t.length; i++) values[i] = view.getFloat32(t.offset + i * 4, true);
    return { name: t.name, shape: t.shape, values, trainable: t.trainable };
  });
  return { manifest, tensors };
}

/**
 * Writes `<base>.bin`, then `<base>.json`, each by the one atomic writer (flushed, renamed, folder
 * flushed). The data goes first: the manifest names its SHA-256, so a reader between the two writes,
 * or after a crash between them, finds a pair that does not match and refuses it.
 */
export async function writeWeightsFiles(
  base: string,
  encoded: ReturnType<typeof encodeWeights>,
): Promise<void> {
  await writeFileAtomicallyAsync(`${base}.bin`, encoded.data);
  await writeFileAtomicallyAsync(`${base}.json`, `${JSON.stringify(encoded.manifest, null, 1)}\n`);
}

export async function readWeightsFiles(base: string): Promise<ReturnType<typeof decodeWeights>> {
  let manifest: unknown;
  try {
    manifest = JSON.parse(await readFile(`${base}.json`, 'utf8'));
  } catch (error) {
    throw new TrainError(
      'invalid-weights',
      `Cannot read the weights manifest ${base}.json: ${(error as Error).message}`,
    );
  }
  return decodeWeights(manifest, new Uint8Array(await readFile(`${base}.bin`)));
}
