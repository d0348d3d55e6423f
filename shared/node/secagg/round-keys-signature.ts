// A site's signature over its round keys, with its enrolled Ed25519 key: the hub passes it on with the
// keys, so a neighbour can tell that the keys it encrypts its shares to and masks with are the site's
// and not ones the hub made (a hub that lists its own keys for a site's neighbours receives the
// shares of that site's secrets). The statement names the task, round and site, so a signature cannot
// be replayed into another round or for another site. The tag keeps it apart from every other
// statement the key signs (requests, upload envelopes).
import { sign, verify, type KeyObject } from 'node:crypto';
import { canonicalJson, type AdvertiseKeysRequest } from '../../federation/index.ts';
import { importPublicKey } from '../federation/index.ts';
import { publicKeysOf, type RoundSecrets } from './round-keys.ts';

export const ROUND_KEYS_TAG = 'RADFED-SECAGG-ROUND-KEYS-V1';

export interface RoundKeysStatement {
  readonly taskId: string;
  readonly round: number;
  readonly siteId: string;
  readonly maskPublicKey: string;
  readonly sharePublicKey: string;
  readonly selfMaskCommitment: string;
}

/** The bytes a site signs: the tag, then the statement's canonical JSON (only these six fields). */
export function roundKeysBytes(statement: RoundKeysStatement): Buffer {
  const { taskId, round, siteId, maskPublicKey, sharePublicKey, selfMaskCommitment } = statement;
  const fields = { taskId, round, siteId, maskPublicKey, sharePublicKey, selfMaskCommitment };
  return Buffer.from(`${ROUND_KEYS_TAG}\n${canonicalJson(fields)}`);
}

export function signRoundKeys(statement: RoundKeysStatement, signingKey: KeyObject): string {
  return sign(null, roundKeysBytes(statement), signingKey).toString('base64url');
}

/** Whether `signature` is the site's (raw base64url Ed25519 `signingKey`) over `statement`. */
export function roundKeysSignatureValid(
  statement: RoundKeysStatement,
  signature: string,
  signingKey: string,
): boolean {
  try {
    return verify(
      null,
      roundKeysBytes(statement),
      importPublicKey(signingKey, 'ed25519'),
      Buffer.from(signature, 'base64url'),
    );
  } catch {
    return false;
  }
}

/** What a site sends at the advertising phase: its round public keys, signed by `sign` (its enrolled key). */
export function signedAdvertisement(
  secrets: RoundSecrets,
  at: Pick<RoundKeysStatement, 'taskId' | 'round' | 'siteId'>,
  sign: (bytes: Uint8Array) => string,
): AdvertiseKeysRequest {
  const keys = publicKeysOf(secrets);
  return { ...keys, signature: sign(roundKeysBytes({ ...at, ...keys })) };
}
