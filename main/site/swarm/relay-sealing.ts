// End-to-end sealing for messages that cross a relay (relay-mailbox.ts). A member that accepts no
// inbound connection names a relaying member in its card (`relay://<that member's id>`); a sender
// seals its signed envelope to the recipient's X25519 exchange key (the hub's sealed box: ephemeral
// X25519, HKDF-SHA256, AES-256-GCM, shared/node/federation/sealed-box.ts) together with a fresh reply
// key, and the recipient seals its answer to that reply key. The relay forwards ciphertext: it learns
// who talks to whom, when, and sizes, never a message or an answer, and cannot forge either (the
// envelope inside is signed by its sender; the answer is sealed to a key only the sender holds).
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { openSealed, rawPublicKey, sealForHub } from '../../../shared/node/federation/index.ts';
import type { SignedEnvelope } from './peer-envelope.ts';
import { SwarmError } from './swarm-error.ts';

export const RELAY_SCHEME = 'relay://';

/** The relaying member's id when `address` is a relayed one, else null. */
export function relayOf(address: string): string | null {
  if (!address.startsWith(RELAY_SCHEME)) return null;
  const id = address.slice(RELAY_SCHEME.length).replace(/\/$/, '');
  return /^[0-9a-f]{32}$/.test(id) ? id : null;
}

export interface RelayedRequest {
  readonly signed: SignedEnvelope;
  /** The X25519 key (raw, base64url) the answer is sealed to. */
  readonly replyKey: string;
}

export type RelayedAnswer =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly error: string; readonly message: string };

const requestContext = (signed: SignedEnvelope) =>
  `radfed-swarm-relay|${signed.envelope.swarm}|${signed.envelope.from}|${signed.envelope.to}|request`;
const answerContext = (swarm: string, nonce: string) => `radfed-swarm-relay|${swarm}|${nonce}|answer`;

/** Seals `signed` for its recipient; returns the sealed bytes and the key that opens the answer. */
export function sealRelayedRequest(
  signed: SignedEnvelope,
  recipientExchangeKey: string,
): { sealed: string; openAnswer: (sealed: string) => RelayedAnswer } {
  const reply = generateKeyPairSync('x25519');
  const plaintext = Buffer.from(JSON.stringify({ signed, replyKey: rawPublicKey(reply.publicKey) }));
  const sealed = Buffer.from(sealForHub(plaintext, recipientExchangeKey, requestContext(signed)));
  return {
    sealed: sealed.toString('base64url'),
    openAnswer: (answer) =>
      JSON.parse(
        Buffer.from(
          openSealed(
            Buffer.from(answer, 'base64url'),
            reply.privateKey,
            answerContext(signed.envelope.swarm, signed.envelope.nonce),
          ),
        ).toString('utf8'),
      ) as RelayedAnswer,
  };
}

/**
 * Opens a relayed request with the recipient's exchange key; the context binds it to the sender and
 * recipient the envelope names, so a relay cannot pass one member's message off as another's.
 */
export function openRelayedRequest(
  sealed: string,
  exchangePrivateKey: KeyObject,
  from: string,
  to: string,
  swarm: string,
): RelayedRequest {
  const bytes = Buffer.from(sealed, 'base64url');
  const context = `radfed-swarm-relay|${swarm}|${from}|${to}|request`;
  let request: RelayedRequest;
  try {
    request = JSON.parse(
      Buffer.from(openSealed(bytes, exchangePrivateKey, context)).toString('utf8'),
    ) as RelayedRequest;
  } catch (error) {
    throw new SwarmError(
      'bad-message',
      'A relayed message could not be opened: it was altered, or sealed for another member.',
      { cause: error },
    );
  }
  return request;
}

export function sealRelayedAnswer(answer: RelayedAnswer, request: RelayedRequest): string {
  const context = answerContext(request.signed.envelope.swarm, request.signed.envelope.nonce);
  return Buffer.from(sealForHub(Buffer.from(JSON.stringify(answer)), request.replyKey, context)).toString(
    'base64url',
  );
}
