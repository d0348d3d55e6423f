// A member's round public keys, signed with its swarm signing key for one leader's attempt. The leader
// passes every member's keys on to the others (as the hub does), so without a signature a hostile
// leader could hand a victim its own keys in place of a neighbour's: the victim would encrypt that
// neighbour's shares of its masks to the leader and mask with a pair key the leader knows, and the
// leader would strip the victim's masks alone. Each member signs its keys with the round, the leader
// and the plan's seed, and checks every participant's signature against that member's key in its own
// ledger before it sends a share.
import type { KeyObject } from 'node:crypto';
import type { RoundPublicKeys } from '../../../shared/node/secagg/index.ts';
import { signStatement, statementSignatureValid } from './ledger-entry.ts';

const ROUND_KEYS_TAG = 'RADFED-SWARM-ROUND-KEYS-V1';

/** What a signature is bound to: one leader's attempt at one round of one swarm, under one plan. */
export interface RoundKeysContext {
  readonly swarm: string;
  readonly round: number;
  readonly leader: string;
  readonly seed: string;
}

export interface SignedRoundKeys extends RoundPublicKeys {
  /** Ed25519 by the member's swarm signing key over the keys, the member and the context. */
  readonly keySignature: string;
}

function statementOf(member: string, keys: RoundPublicKeys, context: RoundKeysContext) {
  const { maskPublicKey, sharePublicKey, selfMaskCommitment } = keys;
  return { ...context, member, maskPublicKey, sharePublicKey, selfMaskCommitment };
}

export function signRoundKeys(
  keys: RoundPublicKeys,
  member: string,
  context: RoundKeysContext,
  signingKey: KeyObject,
): SignedRoundKeys {
  return {
    ...keys,
    keySignature: signStatement(ROUND_KEYS_TAG, statementOf(member, keys, context), signingKey),
  };
}

/** Whether `participant`'s keys are signed by `signingKey` (its key in this member's ledger) for `context`. */
export function roundKeysSigned(
  participant: SignedRoundKeys & { readonly siteId: string },
  context: RoundKeysContext,
  signingKey: string | undefined,
): boolean {
  if (signingKey === undefined) return false;
  return statementSignatureValid(
    ROUND_KEYS_TAG,
    statementOf(participant.siteId, participant, context),
    participant.keySignature,
    signingKey,
  );
}
