// A site's swarm database (swarm.db beside site.db): its copy of the ledger, its own signing record,
// the invitations it issued and the equivocation proofs it has seen. A file of its own because the
// ledger is replicated data with its own life (a site may leave a swarm and keep its research store),
// opened and migrated like every RadFed database (shared/node/sqlite-database.ts).
import type { Database } from 'better-sqlite3';
import { openSqliteDatabase, type Migration } from '../../../shared/node/index.ts';

export const SWARM_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'swarm ledger, signing record, invitations, equivocation proofs',
    sql: `
      CREATE TABLE ledger_entries (
        height INTEGER PRIMARY KEY,
        hash TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL,
        entry_json TEXT NOT NULL,
        signatures_json TEXT NOT NULL,
        stored_at TEXT NOT NULL
      ) STRICT;
      -- One row per height this member ever signed: the primary key is what makes an honest member
      -- unable to sign a second, different entry at a height (docs/swarm-learning.md, "Forks").
      CREATE TABLE signing_record (
        swarm TEXT NOT NULL,
        height INTEGER NOT NULL,
        entry_hash TEXT NOT NULL,
        signature TEXT NOT NULL,
        signed_at TEXT NOT NULL,
        PRIMARY KEY (swarm, height)
      ) STRICT;
      -- Only the SHA-256 of an invitation's secret is kept, as the hub keeps enrollment tokens.
      CREATE TABLE invitations (
        id TEXT PRIMARY KEY,
        secret_hash TEXT NOT NULL,
        swarm TEXT NOT NULL,
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        used_at TEXT,
        joiner TEXT
      ) STRICT;
      CREATE TABLE equivocation_proofs (
        member TEXT NOT NULL,
        height INTEGER NOT NULL,
        proof_json TEXT NOT NULL,
        found_at TEXT NOT NULL,
        PRIMARY KEY (member, height)
      ) STRICT;
    `,
  },
  {
    version: 2,
    name: 'views: the signing record per (height, view), view promises, the view change an entry carries',
    sql: `
      -- An honest member signs at most one entry per (height, view) (docs/swarm-learning.md, "Views").
      -- The entry and its author's signature are kept so that a view change can finish the entry
      -- after its proposer is gone, and a restarted member can propose its own again.
      CREATE TABLE signing_record_by_view (
        swarm TEXT NOT NULL,
        height INTEGER NOT NULL,
        view INTEGER NOT NULL,
        entry_hash TEXT NOT NULL,
        signature TEXT NOT NULL,
        signed_at TEXT NOT NULL,
        entry_json TEXT,
        author_signature_json TEXT,
        PRIMARY KEY (swarm, height, view)
      ) STRICT;
      INSERT INTO signing_record_by_view (swarm, height, view, entry_hash, signature, signed_at)
        SELECT swarm, height, 0, entry_hash, signature, signed_at FROM signing_record;
      DROP TABLE signing_record;
      ALTER TABLE signing_record_by_view RENAME TO signing_record;
      -- The view this member moved to at a height (its statement): it signs in no earlier view there.
      -- The statements an entry committed in a view above 0 carries (its quorum counts only with them).
      ALTER TABLE ledger_entries ADD COLUMN view_change_json TEXT;
      CREATE TABLE view_promises (
        swarm TEXT NOT NULL,
        height INTEGER NOT NULL,
        view INTEGER NOT NULL,
        promised_at TEXT NOT NULL,
        PRIMARY KEY (swarm, height)
      ) STRICT;
    `,
  },
  {
    version: 3,
    name: "round secrets: a member's nonce and SecAgg+ secrets of the open round, sealed",
    sql: `
      -- Sealed with AES-256-GCM under a key derived from the member's signing key (round-secret-store.ts),
      -- so a restarted member rejoins its round; deleted when the round's aggregate commits.
      CREATE TABLE round_secrets (
        swarm TEXT NOT NULL,
        round INTEGER NOT NULL,
        name TEXT NOT NULL,
        sealed TEXT NOT NULL,
        stored_at TEXT NOT NULL,
        PRIMARY KEY (swarm, round, name)
      ) STRICT;
    `,
  },
];

/** Opens (creating when missing) a site's swarm database. FULL sync: a signature given must be remembered. */
export function openSwarmDatabase(path: string): Database {
  return openSqliteDatabase(path, { migrations: SWARM_MIGRATIONS, synchronous: 'FULL' });
}
