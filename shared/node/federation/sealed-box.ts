// Encrypts a site's update to the hub (ECIES-style): a fresh ephemeral X25519 key per upload, the
// shared secret stretched by HKDF-SHA256 with a random salt, AES-256-GCM over the payload. The context
// (task, round, site, kind) is authenticated as associated data, so a sealed update cannot be replayed
// into another round or passed off as another site's.
//   "RFS1" | ephemeral public key (32) | salt (32) | iv (12) | ciphertext | GCM tag (16)
import {
  createCipheriv,
  createDecipheriv,
  diffieHellman,
  generateKeyPairSync,
  hkdfSync,
  type KeyObject,
  randomBytes,
} from 'node:crypto';
import { FederationError } from '../../federation/index.ts';
import { importPublicKey, rawPublicKey } from './keys.ts';

const MAGIC = Buffer.from('RFS1');
const HKDF_INFO = Buffer.from('radfed sealed update v1');
const HEADER_BYTES = 4 + 32 + 32 + 12;
const TAG_BYTES = 16;

/** The associated data that ties a sealed upload to where it belongs. */
export function uploadContext(parts: {
  taskId: string;
  round: number;
  siteId: string;
  kind: string;
}): string {
  return `radfed-upload|${parts.taskId}|${parts.round}|${parts.siteId}|${parts.kind}`;
}

export function sealForHub(plaintext: Uint8Array, hubExchangePublicKey: string, context: string): Uint8Array {
  const ephemeral = generateKeyPairSync('x25519');
  const salt = randomBytes(32);
  const iv = randomBytes(12);
  const header = Buffer.concat([
    MAGIC,
    Buffer.from(rawPublicKey(ephemeral.publicKey), 'base64url'),
    salt,
    iv,
  ]);
  const key = deriveKey(ephemeral.privateKey, importPublicKey(hubExchangePublicKey, 'x25519'), salt);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.concat([header, Buffer.from(context)]));
  const body = cipher.update(plaintext);
  const final = cipher.final();
  return Buffer.concat([header, body, final, cipher.getAuthTag()]);
}

export function openSealed(
  sealed: Uint8Array,
  hubExchangePrivateKey: KeyObject,
  context: string,
): Uint8Array {
  const bytes = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
  if (bytes.byteLength < HEADER_BYTES + TAG_BYTES || !bytes.subarray(0, 4).equals(MAGIC)) {
    throw new FederationError(
      'decrypt-failed',
      'The upload is not a sealed RadFed update (RFS1 marker missing).',
    );
  }
  const header = bytes.subarray(0, HEADER_BYTES);
  const ephemeral = importPublicKey(bytes.subarray(4, 36).toString('base64url'), 'x25519');
  const salt = bytes.subarray(36, 68);
  const iv = bytes.subarray(68, HEADER_BYTES);
  const key = deriveKey(hubExchangePrivateKey, ephemeral, salt);
  const decipher = createDecipheriv('aes-256-gcm', key, iv);
  decipher.setAAD(Buffer.concat([header, Buffer.from(context)]));
  decipher.setAuthTag(bytes.subarray(bytes.byteLength - TAG_BYTES));
  try {
    const body = decipher.update(bytes.subarray(HEADER_BYTES, bytes.byteLength - TAG_BYTES));
    return Buffer.concat([body, decipher.final()]);
  } catch (error) {
    throw new FederationError(
      'decrypt-failed',
      'The update could not be decrypted: it was altered in transit, sealed for another hub, or sealed for another task, round or site. Send it again.',
      { cause: error },
    );
  }
}

function deriveKey(privateKey: KeyObject, publicKey: KeyObject, salt: Uint8Array): Buffer {
  const shared = diffieHellman({ privateKey, publicKey });
  return Buffer.from(hkdfSync('sha256', shared, salt, HKDF_INFO, 32));
}
