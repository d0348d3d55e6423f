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

/**
 * A member reached through a relay that is no member (`radfed relay serve`):
 * `relay+https://host:port/<fingerprint of the relay's key>`. The fingerprint pins the relay's TLS
 * certificate, as an enrollment token pins the hub's; the ledger carries it in the member card.
 */
export const RELAY_SERVER_SCHEME = 'relay+https://';

export interface RelayServerAddress {
  /** https://host:port, where the relay listens. */
  readonly url: string;
  /** First 32 hex digits of the SHA-256 of the relay's Ed25519 key, which its certificate carries. */
  readonly fingerprint: string;
}

export function relayServerOf(address: string): RelayServerAddress | null {
  if (!address.startsWith(RELAY_SERVER_SCHEME)) return null;
  let url: URL;
  try {
    url = new URL(`https://${address.slice(RELAY_SERVER_SCHEME.length)}`);
  } catch {
    return null;
  }
  const fingerprint = url.pathname.replace(/^\/|\/$/g, '');
  if (!/^[0-9a-f]{32}$/.test(fingerprint) || url.search !== '' || url.hash !== '') return null;
  return { url: `https://${url.host}`, fingerprint };
}

export function relayServerAddress(url: string, fingerprint: string): string {
  return `${RELAY_SERVER_SCHEME}${new URL(url).host}/${fingerprint}`;
}

/** True when peers reach `address` through a relay of either kind, never directly. */
export function isRelayedAddress(address: string): boolean {
  return relayOf(address) !== null || relayServerOf(address) !== null;
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
