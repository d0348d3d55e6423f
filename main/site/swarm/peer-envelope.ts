// Every message one member sends another is a signed envelope: who sends it to whom, in which swarm,
// what kind, when and a fresh nonce, and the payload, signed with the sender's Ed25519 key under a
// domain tag. The envelope binds the TLS identity (the server checks that the sender's key is the key
// of the certificate it connected with) and survives a relay, which forwards envelopes it cannot forge:
// so the same check holds end to end whether a message came straight or through a mailbox.
// A receiver refuses an envelope whose time is more than CLOCK_SKEW_MS from its clock (a member whose
// clock is off is told so), and a nonce it has seen inside that window (a replay).
import { randomBytes, type KeyObject } from 'node:crypto';
import { z } from 'zod';
import {
  canonicalJson,
  SWARM_PROTOCOL_VERSION,
  swarmProtocolProblem,
} from '../../../shared/federation/index.ts';
import { CLOCK_SKEW_MS } from '../../../shared/node/federation/index.ts';
import { memberIdSchema, signStatement, statementSignatureValid } from './ledger-entry.ts';
import { SwarmError } from './swarm-error.ts';

/** One message's canonical JSON may not exceed this (a masked update of a 1M-weight model fits). */
export const MAX_MESSAGE_BYTES = 8 * 1024 * 1024;
export const ENVELOPE_TAG = 'RADFED-SWARM-MESSAGE-V1';

export const peerEnvelopeSchema = z.strictObject({
  /** The sender's swarm protocol (shared/federation/protocol-version.ts), checked before anything else. */
  protocol: z.number().int().min(1).max(9999),
  swarm: z.string().regex(/^[0-9a-f]{64}$/),
  from: memberIdSchema,
  to: memberIdSchema,
  kind: z.string().regex(/^[a-z][a-z-]{0,39}$/, 'a message kind (lowercase words joined by -)'),
  /** Milliseconds since the epoch on the sender's clock. */
  sentAt: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  nonce: z.string().regex(/^[A-Za-z0-9_-]{22}$/),
  body: z.unknown(),
});
export type PeerEnvelope = z.infer<typeof peerEnvelopeSchema>;

export const signedEnvelopeSchema = z.strictObject({
  envelope: peerEnvelopeSchema,
  signature: z.string().regex(/^[A-Za-z0-9_-]{86}$/),
});
export type SignedEnvelope = z.infer<typeof signedEnvelopeSchema>;

export function sealEnvelope(
  fields: Omit<PeerEnvelope, 'protocol' | 'sentAt' | 'nonce'>,
  signingKey: KeyObject,
  now: number,
): SignedEnvelope {
  const envelope: PeerEnvelope = {
    protocol: SWARM_PROTOCOL_VERSION,
    ...fields,
    sentAt: now,
    nonce: randomBytes(16).toString('base64url'),
  };
  return { envelope, signature: signStatement(ENVELOPE_TAG, envelope, signingKey) };
}

/** Parses a signed envelope from the wire after bounding its size; the signature is checked by `openEnvelope`. */
export function parseEnvelope(text: string): SignedEnvelope {
  if (Buffer.byteLength(text) > MAX_MESSAGE_BYTES)
    throw new SwarmError('too-large', `A peer message may be at most ${MAX_MESSAGE_BYTES} bytes.`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new SwarmError('bad-message', 'The peer message is not JSON. Update RadFed at the sending member.');
  }
  // The version first: a member of another protocol gets a sentence naming both, not "malformed".
  const envelope = (json as { envelope?: { protocol?: unknown; from?: unknown; to?: unknown } } | null)
    ?.envelope;
  const problem = swarmProtocolProblem(envelope?.protocol, {
    peer: `member ${typeof envelope?.from === 'string' ? envelope.from.slice(0, 8) : '(unnamed)'}`,
    own: `member ${typeof envelope?.to === 'string' ? envelope.to.slice(0, 8) : '(unnamed)'}`,
  });
  if (problem) throw new SwarmError('protocol-mismatch', problem);
  const parsed = signedEnvelopeSchema.safeParse(json);
  if (!parsed.success)
    throw new SwarmError(
      'bad-message',
      `The peer message is malformed (${parsed.error.issues[0]?.path.join('.') ?? ''}). Update RadFed at the sending member.`,
    );
  // The signature covers canonical JSON; a body that cannot be canonicalised (NaN) cannot verify.
  canonicalJson(parsed.data.envelope);
  return parsed.data;
}

/**
 * Nonces seen inside the clock window, so an envelope is taken once. Kept for twice the window: an
 * envelope older than one window is refused by its time, so a forgotten nonce cannot come back.
 */
export class ReplayGuard {
  readonly #seen = new Map<string, number>();

  /** Throws SwarmError 'clock-skew' or 'replayed'; otherwise records the nonce. */
  admit(envelope: PeerEnvelope, now: number): void {
    const skew = envelope.sentAt - now;
    if (Math.abs(skew) > CLOCK_SKEW_MS) {
      const minutes = Math.round(Math.abs(skew) / 60_000);
      throw new SwarmError(
        'clock-skew',
        `The sending member's clock is ${minutes} min ${skew > 0 ? 'ahead of' : 'behind'} this one; messages are ` +
          `accepted within ±${CLOCK_SKEW_MS / 60_000} min. Turn on network time (NTP) at that member.`,
      );
    }
    for (const [nonce, expires] of this.#seen) if (expires < now) this.#seen.delete(nonce);
    const key = `${envelope.from}:${envelope.nonce}`;
    if (this.#seen.has(key))
      throw new SwarmError(
        'replayed',
        'This peer message was already received once (a replay); it was ignored.',
      );
    this.#seen.set(key, now + 2 * CLOCK_SKEW_MS);
  }
}

/** Checks the envelope's signature with the sender's key (base64url raw Ed25519). */
export function envelopeSignatureValid(signed: SignedEnvelope, senderKey: string): boolean {
  return statementSignatureValid(ENVELOPE_TAG, signed.envelope, signed.signature, senderKey);
}
