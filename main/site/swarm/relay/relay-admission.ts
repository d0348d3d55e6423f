// Who the relay that is no member serves. Its operator admits swarms by id (the SHA-256 of the genesis
// entry, `radfed relay admit`); for each it keeps a copy of that swarm's ledger, which members hand it
// (it verifies every entry as a member does: hashes, signatures, quorums, from the admitted genesis).
// A caller is a member when the key of its TLS certificate is a current member's signing key in that
// copy, so a member that left or was removed is refused once the copy holds that entry, and the relay
// needs no enrollment of its own: the swarm's quorum already decided who is a member. The copy holds
// public keys, names and round metadata (who took part, model hashes, ε), never a key that opens a
// message and never a model; the relay signs nothing in it and is in no quorum.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { verifyChain } from '../chain-verification.ts';
import type { MemberRecord } from '../membership.ts';
import { relayServerOf } from '../relay-sealing.ts';
import { SwarmLedger } from '../swarm-ledger.ts';

export interface ServedMember {
  readonly swarm: string;
  readonly member: MemberRecord;
}

export class RelayAdmission {
  readonly #ledgers = new Map<string, SwarmLedger>();

  constructor(
    private readonly folder: string,
    swarms: readonly string[],
    /** This relay's key fingerprint: a mailbox is kept only for a member whose address names it. */
    private readonly ownFingerprint: string,
  ) {
    mkdirSync(folder, { recursive: true, mode: 0o700 });
    for (const swarm of swarms) this.admit(swarm);
  }

  /** Serves `swarm` from now on (its ledger copy starts empty, or where an earlier run left it). */
  admit(swarm: string): void {
    if (!this.#ledgers.has(swarm))
      this.#ledgers.set(swarm, SwarmLedger.open(join(this.folder, `${swarm}.db`)));
  }

  serves(swarm: string): boolean {
    return this.#ledgers.has(swarm);
  }

  /** The next height of the relay's copy of `swarm` (0 when it holds nothing yet). */
  height(swarm: string): number {
    return this.#ledgers.get(swarm)?.state?.nextHeight ?? 0;
  }

  /** The member of `swarm` whose signing key is `signingKey`, in the relay's copy. */
  memberIn(swarm: string, signingKey: string): MemberRecord | undefined {
    return this.#ledgers.get(swarm)?.state?.members.find((m) => m.signingKey === signingKey);
  }

  /** Whether `signingKey` is a current member's key in any swarm this relay serves. */
  knows(signingKey: string): boolean {
    for (const ledger of this.#ledgers.values())
      if (ledger.state?.members.some((m) => m.signingKey === signingKey)) return true;
    return false;
  }

  /** The member with id `id` whose card names this relay, and its swarm: the owner of a mailbox here. */
  mailboxOwner(id: string): ServedMember | null {
    for (const [swarm, ledger] of this.#ledgers) {
      const member = ledger.state?.members.find((m) => m.id === id);
      if (member && this.namesThisRelay(member)) return { swarm, member };
    }
    return null;
  }

  namesThisRelay(member: MemberRecord): boolean {
    return relayServerOf(member.address)?.fingerprint === this.ownFingerprint;
  }

  /**
   * Verifies and keeps entries of `swarm` the copy lacks (entries it holds are skipped); returns the
   * copy's next height. Throws LedgerVerificationError for a chain that is wrong, or not this swarm's.
   */
  accept(swarm: string, entries: readonly unknown[]): number {
    const ledger = this.#ledgers.get(swarm);
    if (ledger === undefined) return 0;
    // An empty copy takes only the admitted genesis: the pin that makes every later entry this swarm's.
    if (ledger.state === null) verifyChain(null, entries.slice(0, 1), { swarmId: swarm });
    ledger.append(entries);
    return this.height(swarm);
  }

  close(): void {
    for (const ledger of this.#ledgers.values()) ledger.close();
    this.#ledgers.clear();
  }
}
