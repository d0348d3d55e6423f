// The bytes of an encrypted update (or of an encrypted sum), checked before SEAL sees any of them: SEAL's
// loader trusts its input's sizes, and a hostile upload is refused here with a sentence instead.
//   "RHE1" | kind u8 (1 update, 2 sum) | 3 zero bytes | parameters fingerprint (16) | key id (16)
//   | contributions u32 | values u32 | ciphertexts u32 | per ciphertext: length u32 | SEAL bytes
// Each SEAL blob starts with SEAL's own 16-byte header: magic 0xA15E, header size 16, version 4.x,
// compression mode, reserved, total size (u64); the size must be the blob's length.
import { HomomorphicError } from './homomorphic-error.ts';
import { ciphertextCount } from './summation-parameters.ts';

const MAGIC = Buffer.from('RHE1');
const HEADER_BYTES = 52;
const SEAL_HEADER_BYTES = 16;
const SEAL_MAGIC = 0xa15e;
const SEAL_ZSTD = 2;
/** Updates are flat float32 vectors; 2^28 values (1 GiB plain) is far past any model RadFed trains. */
export const MAX_VALUES = 2 ** 28;

export type FrameKind = 'update' | 'sum';

export interface CiphertextFrame {
  readonly kind: FrameKind;
  readonly parameters: Buffer;
  readonly keyId: Buffer;
  /** How many sites' updates the frame adds up (1 for one site's update). */
  readonly contributions: number;
  readonly values: number;
  readonly ciphertexts: readonly Uint8Array[];
}

export function encodeFrame(frame: CiphertextFrame): Uint8Array {
  const header = Buffer.alloc(HEADER_BYTES);
  MAGIC.copy(header, 0);
  header.writeUInt8(frame.kind === 'update' ? 1 : 2, 4);
  frame.parameters.copy(header, 8);
  frame.keyId.copy(header, 24);
  header.writeUInt32LE(frame.contributions, 40);
  header.writeUInt32LE(frame.values, 44);
  header.writeUInt32LE(frame.ciphertexts.length, 48);
  const parts: Uint8Array[] = [header];
  for (const blob of frame.ciphertexts) {
    const length = Buffer.alloc(4);
    length.writeUInt32LE(blob.byteLength);
    parts.push(length, blob);
  }
  return Buffer.concat(parts);
}

export interface FrameExpectation {
  readonly parameters: Buffer;
  readonly keyId: Buffer;
  /** The largest a SEAL blob of these parameters may be. */
  readonly maxBlobBytes: number;
  readonly maxSites: number;
}

const refuse = (detail: string): never => {
  throw new HomomorphicError(
    'bad-ciphertext',
    `This is not an encrypted RadFed update for this task: ${detail} Ask the site to send it again with the task's current key.`,
  );
};

/** Reads and checks a frame; every size is bounded before anything is copied or handed to SEAL. */
export function decodeFrame(bytes: Uint8Array, expected: FrameExpectation): CiphertextFrame {
  const data = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (data.byteLength < HEADER_BYTES || !data.subarray(0, 4).equals(MAGIC))
    refuse('the RHE1 marker is missing.');
  const kindByte = data.readUInt8(4);
  if ((kindByte !== 1 && kindByte !== 2) || data.readUIntLE(5, 3) !== 0) refuse('its header is damaged.');
  const parameters = Buffer.from(data.subarray(8, 24));
  if (!parameters.equals(expected.parameters)) refuse('it was made with other encryption parameters.');
  const keyId = Buffer.from(data.subarray(24, 40));
  if (!keyId.equals(expected.keyId)) {
    throw new HomomorphicError(
      'wrong-key',
      "This encrypted update was made under another key (another task's, or one rotated since): the site must encrypt with the task's current key.",
    );
  }
  const contributions = data.readUInt32LE(40);
  const values = data.readUInt32LE(44);
  const count = data.readUInt32LE(48);
  if (contributions < 1 || (kindByte === 1 && contributions !== 1)) refuse('its count of sites is wrong.');
  if (contributions > expected.maxSites) {
    throw new HomomorphicError(
      'too-many-sites',
      `An encrypted sum of more than ${expected.maxSites} sites could overflow the task's encryption parameters; start a task sized for more sites.`,
    );
  }
  if (values < 1 || values > MAX_VALUES) refuse(`it claims ${values} values.`);
  if (count !== ciphertextCount(values))
    refuse('its number of ciphertexts does not match its number of values.');
  const ciphertexts: Uint8Array[] = [];
  let offset = HEADER_BYTES;
  for (let i = 0; i < count; i++) {
    if (offset + 4 > data.byteLength) refuse('it is cut short.');
    const length = data.readUInt32LE(offset);
    offset += 4;
    if (length > expected.maxBlobBytes || offset + length > data.byteLength)
      refuse('a ciphertext is too long or cut short.');
    const blob = data.subarray(offset, offset + length);
    checkSealHeader(blob);
    ciphertexts.push(blob);
    offset += length;
  }
  if (offset !== data.byteLength) refuse('it has bytes after its last ciphertext.');
  return { kind: kindByte === 1 ? 'update' : 'sum', parameters, keyId, contributions, values, ciphertexts };
}

function checkSealHeader(blob: Buffer): void {
  if (blob.byteLength < SEAL_HEADER_BYTES) refuse('a ciphertext is shorter than its header.');
  const ok =
    blob.readUInt16LE(0) === SEAL_MAGIC &&
    blob.readUInt8(2) === SEAL_HEADER_BYTES &&
    blob.readUInt8(3) === 4 &&
    blob.readUInt8(5) === SEAL_ZSTD &&
    blob.readUInt16LE(6) === 0 &&
    blob.readBigUInt64LE(8) === BigInt(blob.byteLength);
  if (!ok) refuse('a ciphertext does not carry a SEAL 4 header of its own length.');
}
