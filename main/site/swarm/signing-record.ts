// A member's own record of what it signed, in its swarm.db: at most one entry per (height, view), and
// the view it moved to at each height (its view statement), below which it signs nothing there again.
// Both rules are what keep an honest member from forking the ledger (view-change.ts says why they
// suffice), so they are checked and written in the caller's IMMEDIATE transaction, and the database
// is opened with synchronous = FULL: a signature given must survive a power cut.
import type { KeyObject } from 'node:crypto';
import type { Database } from 'better-sqlite3';
import { signEntryHash, type EntrySignature, type LedgerEntry, type ViewStatement } from './ledger-entry.ts';
import type { MembershipState } from './membership.ts';
import { SwarmError } from './swarm-error.ts';
import { signViewStatement } from './view-change.ts';

interface SignedRow {
  view: number;
  entry_hash: string;
  signature: string;
  entry_json: string | null;
  author_signature_json: string | null;
}

/** What a member signed in a view at a height, with the author's signature when it was given one. */
export interface SignedAtHeight {
  readonly view: number;
  readonly hash: string;
  readonly entry: LedgerEntry | null;
  readonly authorSignature: EntrySignature | null;
}

/** A view statement with what it points at, so a coordinator can finish that entry. */
export interface StatementAnswer {
  readonly statement: ViewStatement;
  readonly entry: LedgerEntry | null;
  readonly authorSignature: EntrySignature | null;
}

export interface Signer {
  readonly id: string;
  readonly privateKey: KeyObject;
}

export class SigningRecord {
  constructor(private readonly db: Database) {}

  /** The view this member moved to at `height` (0 when it gave no statement there). */
  promisedView(swarm: string, height: number): number {
    return (
      this.db
        .prepare<[string, number], number>('SELECT view FROM view_promises WHERE swarm = ? AND height = ?')
        .pluck()
        .get(swarm, height) ?? 0
    );
  }

  /** Everything this member signed at `height`, highest view first. */
  signedAt(swarm: string, height: number): SignedAtHeight[] {
    return this.db
      .prepare<[string, number], SignedRow>(
        'SELECT view, entry_hash, signature, entry_json, author_signature_json FROM signing_record WHERE swarm = ? AND height = ? ORDER BY view DESC',
      )
      .all(swarm, height)
      .map((row) => ({
        view: row.view,
        hash: row.entry_hash,
        entry: row.entry_json === null ? null : (JSON.parse(row.entry_json) as LedgerEntry),
        authorSignature:
          row.author_signature_json === null
            ? null
            : (JSON.parse(row.author_signature_json) as EntrySignature),
      }));
  }

  /**
   * Signs `entry` (reviewed by the caller) in `view`: the same signature again for the same entry, and
   * SwarmError for a different entry in that view ('already-signed') or a view this member left behind
   * ('view-passed'). Call inside an IMMEDIATE transaction.
   */
  sign(
    entry: LedgerEntry,
    hash: string,
    swarm: string,
    signer: Signer,
    view: number,
    authorSignature: EntrySignature | null,
  ): EntrySignature {
    const promised = this.promisedView(swarm, entry.height);
    if (view < promised)
      throw new SwarmError(
        'view-passed',
        `This member moved to view ${promised} at height ${entry.height}; it signs nothing there in view ${view}. Wait for the view change to commit.`,
      );
    const held = this.signedAt(swarm, entry.height).find((s) => s.view === view);
    const asSignature = (signature: string): EntrySignature =>
      view === 0 ? { member: signer.id, signature } : { member: signer.id, signature, view };
    if (held !== undefined) {
      if (held.hash === hash)
        return asSignature(
          this.db
            .prepare<[string, number, number], string>(
              'SELECT signature FROM signing_record WHERE swarm = ? AND height = ? AND view = ?',
            )
            .pluck()
            .get(swarm, entry.height, view) as string,
        );
      throw new SwarmError(
        'already-signed',
        `This member already signed another entry at height ${entry.height}${view > 0 ? ` in view ${view}` : ''}; signing a second would fork the ledger. Wait for the signed one to commit, then propose again at the next height.`,
      );
    }
    const signature = asSignature(signEntryHash(hash, signer.privateKey, view));
    const author = entry.proposer === signer.id ? signature : authorSignature;
    this.db
      .prepare(
        'INSERT INTO signing_record (swarm, height, view, entry_hash, signature, signed_at, entry_json, author_signature_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      )
      .run(
        swarm,
        entry.height,
        view,
        hash,
        signature.signature,
        new Date().toISOString(),
        JSON.stringify(entry),
        author === null ? null : JSON.stringify(author),
      );
    return signature;
  }

  /**
   * This member's statement that it moves to `view` at the next height of `state`, naming the last
   * entry it signed there below that view; from now on it signs nothing there below `view`. Call inside
   * an IMMEDIATE transaction, so no signature slips in between the read and the promise.
   */
  moveToView(state: MembershipState, view: number, signer: Signer): StatementAnswer {
    const height = state.nextHeight;
    const promised = this.promisedView(state.swarmId, height);
    if (view < promised)
      throw new SwarmError(
        'view-passed',
        `This member already moved to view ${promised} at height ${height}, past view ${view}.`,
      );
    if (view > promised)
      this.db
        .prepare(
          'INSERT INTO view_promises (swarm, height, view, promised_at) VALUES (?, ?, ?, ?) ON CONFLICT (swarm, height) DO UPDATE SET view = excluded.view, promised_at = excluded.promised_at',
        )
        .run(state.swarmId, height, view, new Date().toISOString());
    const last = this.signedAt(state.swarmId, height).find((s) => s.view < view) ?? null;
    const statement = signViewStatement(
      {
        member: signer.id,
        height,
        previous: state.tipHash,
        view,
        last:
          last === null
            ? null
            : { view: last.view, entry: last.hash, proposer: last.entry?.proposer ?? null },
      },
      state.swarmId,
      signer.privateKey,
    );
    return { statement, entry: last?.entry ?? null, authorSignature: last?.authorSignature ?? null };
  }
}
