// Global models are signed by the hub: Ed25519 over the task, version, round and the SHA-256 of the
// model's bytes. A site accepts a model only when this verifies under the signing key it pinned at
// enrollment, so neither a network attacker nor a stray file can hand it other weights.
import { type KeyObject, sign, verify } from 'node:crypto';
import { FederationError } from '../../federation/index.ts';
import { importPublicKey, sha256Hex } from './keys.ts';

export interface GlobalModelStatement {
  readonly taskId: string;
  /** 0 is the initial model; each published round adds one. */
  readonly version: number;
  /** The round that produced it (0 for the initial model). */
  readonly round: number;
  readonly sha256: string;
}

function statementBytes(model: GlobalModelStatement): Buffer {
  return Buffer.from(['RADFED-MODEL-V1', model.taskId, model.version, model.round, model.sha256].join('\n'));
}

export function signGlobalModel(model: GlobalModelStatement, hubSigningKey: KeyObject): string {
  return sign(null, statementBytes(model), hubSigningKey).toString('base64url');
}

/**
 * Verifies the hub's signature on a global model and, when its bytes are given, that they are the
 * bytes signed. Throws a FederationError ('bad-model') saying which check failed.
 */
export function verifyGlobalModel(
  model: GlobalModelStatement & { readonly signature: string },
  hubSigningPublicKey: string | KeyObject,
  bytes?: Uint8Array,
): void {
  const key =
    typeof hubSigningPublicKey === 'string'
      ? importPublicKey(hubSigningPublicKey, 'ed25519')
      : hubSigningPublicKey;
  let valid: boolean;
  try {
    valid = verify(null, statementBytes(model), key, Buffer.from(model.signature, 'base64url'));
  } catch {
    valid = false; // a malformed signature is as bad as a wrong one
  }
  if (!valid) {
    throw new FederationError(
      'bad-model',
      `The hub's signature on global model version ${model.version} of task ${model.taskId} does not verify; ` +
        'do not use it. The hub may have been replaced: check with the coordinator.',
    );
  }
  if (bytes && sha256Hex(bytes) !== model.sha256) {
    throw new FederationError(
      'bad-model',
      `The downloaded global model version ${model.version} does not match the hash the hub signed; download it again.`,
    );
  }
}
