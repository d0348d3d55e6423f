// A site's copy of its swarm's ledger, in its swarm database: entries are verified before they are
// stored (the same checks as a chain from a peer), an entry already held is taken again without
// change, and a different entry at a height already held is refused with the equivocation proofs it
// carries, which are kept. `countersign` is the only way this member signs an entry, and its signing
// record refuses a second, different entry at one height.
import type { Database } from 'better-sqlite3';
import {
  MAX_ENTRIES_PER_PAGE,
  parseSignedEntry,
  reviewEntry,
  verifyChain,
  verifySignedEntry,
  type VerifiedEntry,
} from './chain-verification.ts';
import { findEquivocations, type EquivocationProof } from './equivocation.ts';
import {
  entryHash,
  swarmIdOf,
  type EntrySignature,
  type LedgerEntry,
  type SignedEntry,
  type ViewChange,
} from './ledger-entry.ts';
import { findMember, type MembershipState } from './membership.ts';
import { openSwarmDatabase } from './swarm-database.ts';
import { SigningRecord, type Signer, type StatementAnswer } from './signing-record.ts';
import { SwarmError } from './swarm-error.ts';
import { authorSignature, checkViewChange } from './view-change.ts';

interface EntryRow {
  height: number;
  entry_json: string;
  signatures_json: string;
  view_change_json: string | null;
}

export class SwarmLedger {
  #state: MembershipState | null = null;
  readonly record: SigningRecord;

  private constructor(readonly db: Database) {
    this.record = new SigningRecord(db);
    this.#catchUp();
  }

  static open(path: string): SwarmLedger {
    return new SwarmLedger(openSwarmDatabase(path));
  }

  close(): void {
    this.db.close();
  }

  /** The membership and rounds after the last stored entry; null before the genesis entry. */
  get state(): MembershipState | null {
    this.#catchUp();
    return this.#state;
  }

  /** Stored entries from `fromHeight`, at most `limit` (a page for a peer). */
  entries(fromHeight = 0, limit = 1000): SignedEntry[] {
    return this.db
      .prepare<[number, number], EntryRow>(
        'SELECT height, entry_json, signatures_json, view_change_json FROM ledger_entries WHERE height >= ? ORDER BY height LIMIT ?',
      )
      .all(fromHeight, limit)
      .map(rowToSignedEntry);
  }

  /**
   * Verifies and stores `candidates` (from the wire), which may begin at or below the stored tip:
   * entries already held are skipped. Throws LedgerVerificationError at the first bad height, and
   * SwarmError('conflict') when a candidate differs from the entry held at its height.
   */
  append(candidates: readonly unknown[]): VerifiedEntry[] {
    const outcome = this.db
      .transaction((): VerifiedEntry[] | SwarmError => {
        this.#catchUp();
        const nextHeight = this.#state?.nextHeight ?? 0;
        const fresh: unknown[] = [];
        for (const candidate of candidates) {
          const held = this.#compareWithHeld(candidate, nextHeight);
          if (held instanceof SwarmError) return held; // commit the proofs it kept, then throw
          if (!held) fresh.push(candidate);
        }
        const verified = verifyChain(this.#state, fresh);
        const insert = this.db.prepare(
          'INSERT INTO ledger_entries (height, hash, kind, entry_json, signatures_json, view_change_json, stored_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
        );
        for (const { signed, hash } of verified) {
          insert.run(
            signed.entry.height,
            hash,
            signed.entry.body.kind,
            JSON.stringify(signed.entry),
            JSON.stringify(signed.signatures),
            signed.viewChange === undefined ? null : JSON.stringify(signed.viewChange),
            new Date().toISOString(),
          );
        }
        this.#state = verified.at(-1)?.state ?? this.#state;
        return verified;
      })
      .immediate();
    if (outcome instanceof SwarmError) throw outcome;
    return outcome;
  }

  /**
   * Signs `candidate` (from the wire) as `member`, after every check an entry must pass but the
   * signatures (`reviewEntry`: it must follow this ledger's tip, in this swarm). The signing record
   * returns the same signature for the same entry again, and refuses a different entry at a height
   * this member already signed in that view (SwarmError 'already-signed') or in a view it left
   * ('view-passed'). In a view above 0 it signs only with the statements of a quorum, and only the
   * entry they lock (view-change.ts). `authorSignature` is the proposer's, kept so that a view change
   * can finish the entry without its proposer.
   */
  countersign(
    candidate: unknown,
    member: Signer,
    options: { view?: number; authorSignature?: EntrySignature; viewChange?: ViewChange } = {},
  ): EntrySignature {
    return this.db
      .transaction((): EntrySignature => {
        const state = this.state;
        // Every check but the signatures, so a proposer cannot use up this member's height with an
        // entry that could never commit (another tip, another swarm, a malformed or invalid entry).
        const { entry, hash } = reviewEntry(state, candidate);
        if (state !== null && findMember(state, member.id) === undefined)
          throw new SwarmError(
            'unknown-member',
            'This site is not a member of the swarm, so it cannot countersign.',
          );
        const view = options.view ?? 0;
        if (view > 0) {
          if (state === null || options.viewChange?.view !== view)
            throw new SwarmError(
              'bad-view-change',
              `An entry in view ${view} needs that view's statements from a quorum.`,
            );
          checkViewChange(state, hash, options.viewChange);
        }
        const proposerKey = state === null ? undefined : findMember(state, entry.proposer)?.signingKey;
        const author =
          options.authorSignature !== undefined && proposerKey !== undefined
            ? authorSignature(entry, hash, [options.authorSignature], proposerKey)
            : null;
        return this.record.sign(entry, hash, swarmIdOf(entry), member, view, author);
      })
      .immediate();
  }

  /**
   * This member's signed statement that it moves to `view` at the next height (view-change.ts), with
   * the entry it last signed there; it signs nothing at that height below `view` from now on.
   */
  moveToView(view: number, member: Signer): StatementAnswer {
    return this.db
      .transaction((): StatementAnswer => {
        const state = this.state;
        if (state === null)
          throw new SwarmError('not-founded', 'This site is in no swarm yet: found one or join one.');
        return this.record.moveToView(state, view, member);
      })
      .immediate();
  }

  /**
   * The entry `member` proposed at the next height in view 0 and has not seen commit (it proposes it
   * again before anything else), or null; null too once the height has moved to a later view.
   */
  ownPending(memberId: string): LedgerEntry | null {
    const state = this.state;
    if (state === null || this.record.promisedView(state.swarmId, state.nextHeight) > 0) return null;
    const own = this.record
      .signedAt(state.swarmId, state.nextHeight)
      .find((s) => s.view === 0 && s.entry?.proposer === memberId);
    return own?.entry ?? null;
  }

  /** Equivocation proofs this site has found, oldest first. */
  equivocations(): EquivocationProof[] {
    return this.db
      .prepare<[], string>('SELECT proof_json FROM equivocation_proofs ORDER BY height, member')
      .pluck()
      .all()
      .map((json) => JSON.parse(json) as EquivocationProof);
  }

  /**
   * True when `candidate` is the entry already held at its height, false when it is above the tip; a
   * SwarmError('conflict') when it differs from the entry held, after keeping the equivocation proofs.
   */
  #compareWithHeld(candidate: unknown, nextHeight: number): boolean | SwarmError {
    const height = (candidate as { entry?: { height?: unknown } } | null)?.entry?.height;
    if (typeof height !== 'number' || !Number.isSafeInteger(height) || height < 0 || height >= nextHeight)
      return false;
    const held = this.entries(height, 1)[0];
    if (held === undefined) return false;
    // The same entry (its signatures may be another quorum's): nothing to do, and no replay of the
    // ledger up to it, which would make a peer resending the whole chain cost O(height²).
    if (entryHash(parseSignedEntry(candidate, height).entry) === entryHash(held.entry)) return true;
    // A different one: verified against the state before that height, as any entry is, for its proofs.
    const before = this.#stateBefore(height);
    const { signed } = verifySignedEntry(before, candidate, height);
    const keyOf = (id: string): string | undefined =>
      before ? findMember(before, id)?.signingKey : undefined;
    const proofs = findEquivocations(held, signed, keyOf);
    const keep = this.db.prepare(
      'INSERT OR IGNORE INTO equivocation_proofs (member, height, proof_json, found_at) VALUES (?, ?, ?, ?)',
    );
    for (const proof of proofs)
      keep.run(proof.member, proof.height, JSON.stringify(proof), new Date().toISOString());
    const named = proofs.map((proof) => proof.member).join(', ');
    return new SwarmError(
      'conflict',
      `A peer sent a different entry at height ${height} than the one this site holds` +
        (proofs.length > 0
          ? `: member(s) ${named} signed both, which an honest member never does. The proofs are kept; tell the swarm.`
          : ". Keep this site's ledger and fetch from another member."),
    );
  }

  #stateBefore(height: number): MembershipState | null {
    return this.#replay(null, 0, height);
  }

  /** Applies rows another process stored since this one last looked (re-verified: the file may be edited). */
  #catchUp(): void {
    const from = this.#state?.nextHeight ?? 0;
    this.#state = this.#replay(this.#state, from, Number.MAX_SAFE_INTEGER);
  }

  /** The state after verifying stored entries [from, until), a page at a time. */
  #replay(state: MembershipState | null, from: number, until: number): MembershipState | null {
    let current = state;
    for (let height = from; height < until;) {
      const page = this.entries(height, Math.min(MAX_ENTRIES_PER_PAGE, until - height));
      if (page.length === 0) break;
      current = verifyChain(current, page).at(-1)?.state ?? current;
      height += page.length;
    }
    return current;
  }
}

function rowToSignedEntry(row: EntryRow): SignedEntry {
  const signed = {
    entry: JSON.parse(row.entry_json) as LedgerEntry,
    signatures: JSON.parse(row.signatures_json) as EntrySignature[],
  };
  return row.view_change_json === null
    ? signed
    : { ...signed, viewChange: JSON.parse(row.view_change_json) as ViewChange };
}
