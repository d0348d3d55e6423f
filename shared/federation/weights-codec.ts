// The weights file format (RFW1), for global models, updates and exports alike:
//   "RFW1" | uint32 LE header length | header JSON (UTF-8) | zero padding to 8 bytes | tensor data
// Each tensor is stored as float32, float16 (IEEE binary16) or int8 with one float scale per tensor
// (value ≈ q·scale, q in −127…127). Little-endian throughout, as on every platform Node runs on.
import { z } from 'zod';
import { FederationError } from './errors.ts';
import { float16ArrayToFloat32, float32ArrayToFloat16, FLOAT16_MAX } from './float16.ts';
import { elementCount, type NamedTensor, type WeightSet } from './tensors.ts';

export const COMPRESSIONS = ['none', 'float16', 'int8'] as const;
export type Compression = (typeof COMPRESSIONS)[number];

const MAGIC = [0x52, 0x46, 0x57, 0x31]; // "RFW1"
const BYTES_PER_ELEMENT = { float32: 4, float16: 2, int8: 1 } as const;

const headerSchema = z.object({
  tensors: z.array(
    z.object({
      name: z.string().min(1).max(512),
      shape: z.array(z.number().int().min(0)).max(8),
      dtype: z.enum(['float32', 'float16', 'int8']),
      scale: z.number().nonnegative().optional(),
      byteOffset: z.number().int().min(0),
      byteLength: z.number().int().min(0),
    }),
  ),
});
type TensorEntry = z.infer<typeof headerSchema>['tensors'][number];

export function encodeWeights(weights: WeightSet, compression: Compression = 'none'): Uint8Array {
  const entries: TensorEntry[] = [];
  const payloads: Uint8Array[] = [];
  let offset = 0;
  for (const tensor of weights) {
    if (tensor.data.length !== elementCount(tensor.shape)) {
      throw new FederationError(
        'bad-weights',
        `Tensor "${tensor.name}" has ${tensor.data.length} values but its shape [${tensor.shape.join(', ')}] needs ${elementCount(tensor.shape)}.`,
      );
    }
    const { bytes, entry } = encodeTensor(tensor, compression);
    entries.push({ ...entry, byteOffset: offset, byteLength: bytes.byteLength });
    payloads.push(bytes);
    offset += align8(bytes.byteLength);
  }
  const header = new TextEncoder().encode(JSON.stringify({ tensors: entries }));
  const dataStart = align8(8 + header.byteLength);
  const out = new Uint8Array(dataStart + offset);
  out.set(MAGIC, 0);
  new DataView(out.buffer).setUint32(4, header.byteLength, true);
  out.set(header, 8);
  entries.forEach((entry, index) => out.set(payloads[index] as Uint8Array, dataStart + entry.byteOffset));
  return out;
}

function encodeTensor(
  tensor: NamedTensor,
  compression: Compression,
): { bytes: Uint8Array; entry: Omit<TensorEntry, 'byteOffset' | 'byteLength'> } {
  const base = { name: tensor.name, shape: [...tensor.shape] };
  if (compression === 'none') {
    const copy = new Float32Array(tensor.data);
    return { bytes: new Uint8Array(copy.buffer), entry: { ...base, dtype: 'float32' } };
  }
  let maxAbs = 0;
  for (const value of tensor.data) {
    const magnitude = Math.abs(value);
    if (!(magnitude <= maxAbs)) maxAbs = magnitude; // also catches NaN
  }
  if (!Number.isFinite(maxAbs)) {
    throw new FederationError(
      'not-finite',
      `Tensor "${tensor.name}" has values that are not finite (NaN or infinity), which ${compression} cannot carry; local training diverged: lower the learning rate and train again.`,
    );
  }
  if (compression === 'float16') {
    if (maxAbs > FLOAT16_MAX) {
      throw new FederationError(
        'bad-compression',
        `Tensor "${tensor.name}" has values beyond the float16 range (±${FLOAT16_MAX}); use int8 or no compression for this task.`,
      );
    }
    return {
      bytes: new Uint8Array(float32ArrayToFloat16(tensor.data).buffer),
      entry: { ...base, dtype: 'float16' },
    };
  }
  // int8, symmetric, one scale per tensor: the error per value is at most scale / 2.
  const scale = maxAbs / 127;
  const quantised = new Int8Array(tensor.data.length);
  if (scale > 0) {
    for (let i = 0; i < quantised.length; i += 1)
      quantised[i] = Math.round((tensor.data[i] as number) / scale);
  }
  return { bytes: new Uint8Array(quantised.buffer), entry: { ...base, dtype: 'int8', scale } };
}

export interface DecodedWeights {
  readonly weights: NamedTensor[];
  /** The compression the tensors were stored with ('none' when all are float32). */
  readonly compression: Compression;
}

export function decodeWeights(bytes: Uint8Array): NamedTensor[] {
  return decodeWeightsWithInfo(bytes).weights;
}

export function decodeWeightsWithInfo(bytes: Uint8Array): DecodedWeights {
  const fail = (why: string): never => {
    throw new FederationError('bad-weights', `These bytes are not RadFed weights: ${why}.`);
  };
  if (bytes.byteLength < 8 || MAGIC.some((byte, index) => bytes[index] !== byte))
    fail('the RFW1 marker is missing');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getUint32(4, true);
  if (8 + headerLength > bytes.byteLength) fail('the header runs past the end');
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength)));
  } catch {
    fail('the header is not JSON');
  }
  const header = headerSchema.safeParse(parsed);
  if (!header.success) return fail('the header does not describe tensors');
  const dataStart = align8(8 + headerLength);
  const names = new Set<string>();
  const dtypes = new Set<string>();
  const weights = header.data.tensors.map((entry) => {
    if (names.has(entry.name)) fail(`the tensor name "${entry.name}" appears twice`);
    names.add(entry.name);
    dtypes.add(entry.dtype);
    const count = elementCount(entry.shape);
    if (entry.byteLength !== count * BYTES_PER_ELEMENT[entry.dtype])
      fail(`tensor "${entry.name}" has the wrong size`);
    const start = dataStart + entry.byteOffset;
    if (start + entry.byteLength > bytes.byteLength) fail(`tensor "${entry.name}" runs past the end`);
    // Copied into a fresh, aligned buffer: typed arrays need aligned offsets (and Buffer.slice would share).
    const copy = new Uint8Array(entry.byteLength);
    copy.set(bytes.subarray(start, start + entry.byteLength));
    const raw = copy.buffer;
    return { name: entry.name, shape: entry.shape, data: decodeValues(entry, raw, count) };
  });
  const compression: Compression = dtypes.has('int8') ? 'int8' : dtypes.has('float16') ? 'float16' : 'none';
  return { weights, compression };
}

function decodeValues(entry: TensorEntry, raw: ArrayBuffer, count: number): Float32Array {
  if (entry.dtype === 'float32') return new Float32Array(raw, 0, count);
  if (entry.dtype === 'float16') return float16ArrayToFloat32(new Uint16Array(raw, 0, count));
  const quantised = new Int8Array(raw, 0, count);
  const scale = entry.scale ?? 0;
  const out = new Float32Array(count);
  for (let i = 0; i < count; i += 1) out[i] = (quantised[i] as number) * scale;
  return out;
}

function align8(n: number): number {
  return Math.ceil(n / 8) * 8;
}
