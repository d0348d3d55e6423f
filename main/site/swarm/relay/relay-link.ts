// A member's connection to a relay that is no member (`relay+https://host:port/<fingerprint>`): HTTPS
// with the member's own certificate (mutual TLS: the relay admits members of the swarms it serves by
// the key the certificate carries), the relay's certificate pinned by the fingerprint in the address
// and checked as soon as the handshake ends, before a byte is written. What crosses it is sealed end to
// end (relay-sealing.ts): the relay sees ids and sizes, never a message.
import type { KeyObject } from 'node:crypto';
import { publicKeyFingerprint } from '../../../../shared/node/federation/index.ts';
import { signStatement, statementSignatureValid, type SignedEntry } from '../ledger-entry.ts';
import type { PeerCertificate } from '../peer-certificate.ts';
import { pinnedRequest, type PinnedAnswer } from '../pinned-request.ts';
import type { RelayedItem } from '../relay-mailbox-store.ts';
import type { SignedEnvelope } from '../peer-envelope.ts';
import { sealRelayedRequest, type RelayServerAddress } from '../relay-sealing.ts';
import { SwarmError, type SwarmErrorCode } from '../swarm-error.ts';
import { RELAY_PATHS } from './relay-protocol.ts';

/** What a mailbox's owner tells the relay so a joiner can seal to it: its exchange key, signed. */
export interface RelayCard {
  readonly signingKey: string;
  readonly exchangeKey: string;
  readonly signature: string;
}
const CARD_TAG = 'RADFED-SWARM-RELAY-CARD-V1';

export function signRelayCard(
  card: { signingKey: string; exchangeKey: string },
  privateKey: KeyObject,
): RelayCard {
  return { ...card, signature: signStatement(CARD_TAG, { exchangeKey: card.exchangeKey }, privateKey) };
}

/** True when the card is `memberId`'s: its key has that fingerprint and signed the exchange key. */
export function relayCardValid(card: RelayCard, memberId: string): boolean {
  return (
    publicKeyFingerprint(card.signingKey) === memberId &&
    statementSignatureValid(CARD_TAG, { exchangeKey: card.exchangeKey }, card.signature, card.signingKey)
  );
}

/** The relay's ledger copy is behind this member's: it does not know the member yet. */
export class RelayBehindError extends SwarmError {
  override readonly name = 'RelayBehindError';
  constructor(readonly relayHeight: number) {
    super('not-member', 'The relay does not know this member yet; its copy of the ledger is behind.');
  }
}

type Answer = PinnedAnswer;

/** The most an answer from the relay may hold (a poll answer is ~6 MiB, a sealed answer up to ~11). */
const MAX_ANSWER_BYTES = 32 * 1024 * 1024;

export class RelayLink {
  constructor(
    readonly relay: RelayServerAddress,
    private readonly options: {
      readonly certificate: PeerCertificate;
      readonly timeoutMs: number;
      /** Where the bytes this link sends and receives are counted (the member's client). */
      readonly counters?: { bytesOut: number; bytesIn: number };
    },
  ) {}

  /** Posts a sealed message for `to` and returns its sealed answer. */
  async forward(to: string, sealed: string): Promise<string> {
    // The relay's copy of the ledger can lag a join by one poll: a refused sender tries a few times.
    for (let attempt = 0; ; attempt++) {
      const answer = await this.#exchange('POST', `${RELAY_PATHS.forward}${to}`, sealed);
      if (answer.status === 200) return answer.body.toString('utf8');
      if (answer.status !== 403 || attempt >= 4) throw this.#refusal(answer, `member ${to.slice(0, 8)}`);
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }

  /** Collects this member's messages (a long poll); throws RelayBehindError when the relay must catch up. */
  async poll(
    swarm: string,
    height: number,
    card: RelayCard,
  ): Promise<{ items: RelayedItem[]; height: number }> {
    const answer = await this.#exchange('POST', RELAY_PATHS.poll, JSON.stringify({ swarm, height, card }));
    const parsed = parseJson(answer.body) as { items?: RelayedItem[]; height?: number; error?: string };
    if (answer.status === 403 && parsed?.error === 'behind') throw new RelayBehindError(parsed.height ?? 0);
    if (answer.status !== 200 || !Array.isArray(parsed?.items)) throw this.#refusal(answer, 'this member');
    return { items: parsed.items, height: parsed.height ?? 0 };
  }

  async reply(id: string, sealed: string): Promise<void> {
    const answer = await this.#exchange('POST', `${RELAY_PATHS.reply}${id}`, sealed);
    if (answer.status !== 200) throw this.#refusal(answer, 'the waiting sender');
  }

  /** The card of `memberId`'s mailbox, checked against the id (so the relay cannot substitute a key). */
  async card(memberId: string): Promise<RelayCard> {
    const answer = await this.#exchange('GET', `${RELAY_PATHS.cards}${memberId}`);
    const card = parseJson(answer.body) as RelayCard | null;
    if (answer.status !== 200 || card === null || typeof card.exchangeKey !== 'string')
      throw this.#refusal(answer, `member ${memberId.slice(0, 8)}`);
    if (!relayCardValid(card, memberId))
      throw new SwarmError(
        'bad-signature',
        `The relay sent a key for member ${memberId.slice(0, 8)} that the member did not sign; nothing was sent.`,
      );
    return card;
  }

  /** Hands the relay ledger entries it lacks (it verifies them); returns its next height. */
  async pushLedger(swarm: string, entries: readonly SignedEntry[]): Promise<number> {
    const answer = await this.#exchange('POST', RELAY_PATHS.ledger, JSON.stringify({ swarm, entries }));
    const parsed = parseJson(answer.body) as { height?: number } | null;
    if (answer.status !== 200 || typeof parsed?.height !== 'number')
      throw this.#refusal(answer, 'the ledger');
    return parsed.height;
  }

  #refusal(answer: Answer, about: string): SwarmError {
    const parsed = parseJson(answer.body) as { error?: string; message?: string } | null;
    const code: SwarmErrorCode =
      answer.status === 403
        ? 'not-member'
        : answer.status === 503 || answer.status === 504
          ? 'peer-unreachable'
          : 'peer-refused';
    return new SwarmError(
      code,
      parsed?.message ?? `The relay refused the message for ${about} (HTTP ${answer.status}).`,
    );
  }

  #exchange(method: 'GET' | 'POST', path: string, body?: string): Promise<Answer> {
    const url = new URL(this.relay.url);
    return pinnedRequest(
      {
        url,
        isPinned: (key) => publicKeyFingerprint(key) === this.relay.fingerprint,
        who: `the relay at ${url.host}`,
        notPinned:
          `The server at ${url.host} is not the relay the member's address names: its certificate does not ` +
          'carry the pinned key. Check the relay address with the swarm.',
      },
      { method, path, body: body === undefined ? undefined : Buffer.from(body), contentType: 'text/plain' },
      {
        certificate: this.options.certificate,
        timeoutMs: this.options.timeoutMs,
        maxAnswerBytes: MAX_ANSWER_BYTES,
        counters: this.options.counters,
      },
    );
  }
}

function parseJson(bytes: Buffer): unknown {
  try {
    return JSON.parse(bytes.toString('utf8')) as unknown;
  } catch {
    return null;
  }
}

/**
 * Sends `signed` to a member behind a relay that is no member: sealed to the member's exchange key
 * (from the ledger, or for a joiner that has none yet, from the card the member signed), posted to the
 * relay, and the sealed answer opened with the reply key only this sender holds.
 */
export async function sendThroughRelayServer(
  link: RelayLink,
  signed: SignedEnvelope,
  exchangeKey: string | undefined,
): Promise<unknown> {
  const to = signed.envelope.to;
  const { sealed, openAnswer } = sealRelayedRequest(signed, exchangeKey ?? (await link.card(to)).exchangeKey);
  const answer = openAnswer(await link.forward(to, sealed));
  if (!answer.ok)
    throw new SwarmError(
      (answer.error as SwarmErrorCode | undefined) ?? 'peer-refused',
      answer.message || `Member ${to.slice(0, 8)} refused the message.`,
    );
  return answer.value;
}
