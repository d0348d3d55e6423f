// The bytes of a masked input (sealed to the hub like any update):
//   "RFM1" | uint32 LE number of values | the values as uint32 LE
// The values are uniform mod 2³² to anyone without the masks, the hub included.
import { SecureAggregationError } from './secagg-error.ts';

const MAGIC = Buffer.from('RFM1');

export function encodeMaskedInput(vector: Uint32Array): Uint8Array {
  const out = Buffer.alloc(8 + vector.byteLength);
  MAGIC.copy(out, 0);
  out.writeUInt32LE(vector.length, 4);
  Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength).copy(out, 8);
  return out;
}

export function decodeMaskedInput(bytes: Uint8Array): Uint32Array {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buffer.byteLength < 8 || !buffer.subarray(0, 4).equals(MAGIC)) {
    throw new SecureAggregationError(
      'bad-masked-input',
      'This upload is not a masked input (RFM1 marker missing).',
    );
  }
  const count = buffer.readUInt32LE(4);
  if (buffer.byteLength !== 8 + count * 4) {
    throw new SecureAggregationError(
      'bad-masked-input',
      `The masked input declares ${count} values but holds ${(buffer.byteLength - 8) / 4}.`,
    );
  }
  const out = new Uint32Array(count);
  Buffer.from(out.buffer).set(buffer.subarray(8));
  return out;
}
