// The hub database schema, as numbered migrations. A released migration never changes; a new need is
// a new migration. Times are ISO-8601 text except where a number is compared on every request.
import type { Database } from 'better-sqlite3';
import {
  applyMigrations as runMigrations,
  latestVersion,
  schemaVersion,
  type Migration,
} from '../../shared/node/index.ts';

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'enrollment, tasks, rounds, uploads, models',
    sql: `
      CREATE TABLE enrollment_tokens (
        id TEXT PRIMARY KEY,
        -- Only the SHA-256 of the secret: a copy of the database cannot enroll anyone.
        secret_sha256 TEXT NOT NULL UNIQUE,
        site_name TEXT,
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        used_at TEXT,
        used_by_site TEXT
      ) STRICT;

      CREATE TABLE sites (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        signing_public_key TEXT NOT NULL UNIQUE,
        exchange_public_key TEXT NOT NULL,
        token_id TEXT NOT NULL REFERENCES enrollment_tokens (id),
        enrolled_at TEXT NOT NULL,
        last_seen_at TEXT
      ) STRICT;

      -- Nonces of signed requests, kept for the clock-skew window so a request cannot be replayed.
      CREATE TABLE request_nonces (
        site_id TEXT NOT NULL,
        nonce TEXT NOT NULL,
        seen_at INTEGER NOT NULL,
        PRIMARY KEY (site_id, nonce)
      ) STRICT, WITHOUT ROWID;
      CREATE INDEX request_nonces_by_time ON request_nonces (seen_at);

      CREATE TABLE tasks (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        definition TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('active', 'stopped', 'completed', 'failed')),
        created_at TEXT NOT NULL,
        ended_at TEXT,
        failure_reason TEXT,
        -- Server optimiser state (FedAdam's moments) after the latest published version, as a blob.
        server_state_sha256 TEXT,
        server_state_step INTEGER
      ) STRICT;

      CREATE TABLE task_sites (
        task_id TEXT NOT NULL REFERENCES tasks (id),
        site_id TEXT NOT NULL REFERENCES sites (id),
        joined_at TEXT NOT NULL,
        PRIMARY KEY (task_id, site_id)
      ) STRICT;

      CREATE TABLE rounds (
        task_id TEXT NOT NULL REFERENCES tasks (id),
        number INTEGER NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('open', 'collecting', 'aggregating', 'published', 'failed')),
        base_version INTEGER,
        turn_site_id TEXT,
        opened_at TEXT NOT NULL,
        collecting_at TEXT,
        deadline_at TEXT,
        aggregating_at TEXT,
        closed_at TEXT,
        failure_reason TEXT,
        PRIMARY KEY (task_id, number)
      ) STRICT;

      CREATE TABLE uploads (
        id TEXT PRIMARY KEY,
        task_id TEXT NOT NULL REFERENCES tasks (id),
        round INTEGER NOT NULL,
        site_id TEXT NOT NULL REFERENCES sites (id),
        kind TEXT NOT NULL CHECK (kind IN ('delta', 'initial')),
        bytes INTEGER NOT NULL,
        sha256 TEXT NOT NULL,
        chunk_bytes INTEGER NOT NULL,
        received_bytes INTEGER NOT NULL DEFAULT 0,
        state TEXT NOT NULL CHECK (state IN ('receiving', 'complete')),
        submission_id TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      ) STRICT;
      CREATE UNIQUE INDEX uploads_for_resume ON uploads (task_id, round, site_id, kind, sha256);

      CREATE TABLE submissions (
        id TEXT PRIMARY KEY,
        upload_id TEXT NOT NULL REFERENCES uploads (id),
        task_id TEXT NOT NULL REFERENCES tasks (id),
        round INTEGER NOT NULL,
        site_id TEXT NOT NULL REFERENCES sites (id),
        kind TEXT NOT NULL,
        examples INTEGER NOT NULL,
        base_version INTEGER,
        compression TEXT NOT NULL,
        -- The sealed bytes as received (encrypted at rest); decrypted again when aggregating.
        blob_sha256 TEXT NOT NULL,
        envelope TEXT NOT NULL,
        envelope_signature TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('accepted', 'rejected')),
        reason TEXT,
        created_at TEXT NOT NULL
      ) STRICT;
      CREATE UNIQUE INDEX one_accepted_update_per_round
        ON submissions (task_id, round, site_id, kind) WHERE state = 'accepted';
      CREATE INDEX submissions_by_round ON submissions (task_id, round);

      CREATE TABLE models (
        task_id TEXT NOT NULL REFERENCES tasks (id),
        version INTEGER NOT NULL,
        round INTEGER NOT NULL,
        blob_sha256 TEXT NOT NULL,
        signature TEXT NOT NULL,
        bytes INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (task_id, version)
      ) STRICT;

      -- Each site's evaluation of each global model version on its validation split.
      CREATE TABLE evaluations (
        task_id TEXT NOT NULL REFERENCES tasks (id),
        version INTEGER NOT NULL,
        site_id TEXT NOT NULL REFERENCES sites (id),
        loss REAL,
        accuracy REAL,
        auc REAL,
        n INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (task_id, version, site_id)
      ) STRICT;
    `,
  },
  {
    version: 3,
    name: 'privacy ledger (differential-privacy budget spent per round)',
    sql: `
      CREATE TABLE privacy_ledger (
        task_id TEXT NOT NULL REFERENCES tasks (id),
        round INTEGER NOT NULL,
        rounds_counted INTEGER NOT NULL,
        epsilon REAL NOT NULL,
        delta REAL NOT NULL,
        rdp_order INTEGER NOT NULL,
        recorded_at TEXT NOT NULL,
        PRIMARY KEY (task_id, round)
      ) STRICT;
    `,
  },
  {
    version: 2,
    name: 'secure aggregation phases, round keys, routed shares, revealed shares',
    sql: `
      -- The SecAgg+ sub-phase of a round while it is collecting (advertise keys, share keys, masked
      -- input, unmasking), with its own deadline; rounds.state says when it aggregates, publishes or fails.
      CREATE TABLE secagg_rounds (
        task_id TEXT NOT NULL REFERENCES tasks (id),
        round INTEGER NOT NULL,
        phase TEXT NOT NULL CHECK (phase IN ('advertising', 'sharing', 'masking', 'unmasking')),
        seed TEXT NOT NULL,
        -- JSON of the plan (n, k, t, quantisation) once the sharing phase fixed who takes part.
        plan TEXT,
        phase_started_at TEXT NOT NULL,
        deadline_at TEXT NOT NULL,
        PRIMARY KEY (task_id, round)
      ) STRICT;

      -- Each site's round public keys; its ring position once the plan is fixed; what it has done.
      CREATE TABLE secagg_participants (
        task_id TEXT NOT NULL REFERENCES tasks (id),
        round INTEGER NOT NULL,
        site_id TEXT NOT NULL REFERENCES sites (id),
        mask_public_key TEXT NOT NULL,
        share_public_key TEXT NOT NULL,
        self_mask_commitment TEXT NOT NULL,
        advertised_at TEXT NOT NULL,
        position INTEGER,
        shared_at TEXT,
        -- Set when unmasking starts: 1 if its masked input is in the sum, 0 if it dropped after sharing.
        survivor INTEGER,
        revealed_at TEXT,
        PRIMARY KEY (task_id, round, site_id)
      ) STRICT;

      -- Shares one site encrypted for a neighbour (the hub cannot read them); routed, never opened.
      CREATE TABLE secagg_shares (
        task_id TEXT NOT NULL REFERENCES tasks (id),
        round INTEGER NOT NULL,
        from_site TEXT NOT NULL REFERENCES sites (id),
        to_site TEXT NOT NULL REFERENCES sites (id),
        ciphertext TEXT NOT NULL,
        PRIMARY KEY (task_id, round, from_site, to_site)
      ) STRICT;

      -- Shares revealed at unmasking, in the clear: of a survivor's self-mask seed, or of a dropped
      -- site's mask key. Never both kinds for one site: the trigger refuses it even if the code erred.
      CREATE TABLE secagg_revealed (
        task_id TEXT NOT NULL REFERENCES tasks (id),
        round INTEGER NOT NULL,
        holder_site TEXT NOT NULL REFERENCES sites (id),
        owner_site TEXT NOT NULL REFERENCES sites (id),
        kind TEXT NOT NULL CHECK (kind IN ('self-mask', 'mask-key')),
        share TEXT NOT NULL,
        PRIMARY KEY (task_id, round, holder_site, owner_site)
      ) STRICT;
      CREATE TRIGGER secagg_one_kind_per_site BEFORE INSERT ON secagg_revealed
        WHEN EXISTS (SELECT 1 FROM secagg_revealed WHERE task_id = NEW.task_id AND round = NEW.round
                     AND owner_site = NEW.owner_site AND kind <> NEW.kind)
        BEGIN SELECT RAISE(ABORT, 'secure aggregation: both kinds of share of one site'); END;
    `,
  },
  {
    version: 4,
    name: 'adaptive clipping (the clip norm of each round, and the noised mean of the sites’ bits)',
    sql: `
      CREATE TABLE clip_norms (
        task_id TEXT NOT NULL REFERENCES tasks (id),
        round INTEGER NOT NULL,
        clip_norm REAL NOT NULL,
        -- Set when the round is published: b̄ from the noised bits, and how many sites sent one.
        bit_mean REAL,
        bit_sites INTEGER,
        PRIMARY KEY (task_id, round)
      ) STRICT;
    `,
  },
  {
    version: 5,
    name: 'update bounds (cohort sizes declared at join; each update’s norm and what the hub did with it)',
    sql: `
      -- What the site declared when it joined: the hub counts at most this many examples behind its
      -- updates (train) and metrics (validation). NULL: it declared nothing (held to the task's cap).
      ALTER TABLE task_sites ADD COLUMN train_examples INTEGER;
      ALTER TABLE task_sites ADD COLUMN validation_examples INTEGER;
      -- A plain update's L2 norm as received, the bound it was held to, and the verdict: within the
      -- bound, clipped (scaled down to it when aggregated) or refused. NULL for masked and initial uploads.
      ALTER TABLE submissions ADD COLUMN update_norm REAL;
      ALTER TABLE submissions ADD COLUMN norm_bound REAL;
      ALTER TABLE submissions ADD COLUMN norm_action TEXT
        CHECK (norm_action IS NULL OR norm_action IN ('within', 'clipped', 'refused'));
    `,
  },
  {
    version: 6,
    name: 'coordinator actions and site presence (revoked tokens, removed sites, heartbeats, task decisions)',
    sql: `
      -- A token the coordinator revoked before it was used: enrollment refuses it.
      ALTER TABLE enrollment_tokens ADD COLUMN revoked_at TEXT;
      -- A removed site keeps its row (its past updates and evaluations point at it), but no request
      -- signed with its key is accepted any more.
      ALTER TABLE sites ADD COLUMN removed_at TEXT;
      -- The site's latest signed heartbeat: when, and what it said it was doing (never patient data).
      ALTER TABLE sites ADD COLUMN heartbeat_at TEXT;
      ALTER TABLE sites ADD COLUMN heartbeat_state TEXT
        CHECK (heartbeat_state IS NULL OR heartbeat_state IN
          ('idle', 'waiting-for-approval', 'training', 'paused', 'error'));
      -- What a site's heartbeat says about each task it was offered: approved, declined, or that it
      -- cannot take part (no training images for the task's labels).
      CREATE TABLE site_task_decisions (
        site_id TEXT NOT NULL REFERENCES sites (id),
        task_id TEXT NOT NULL,
        decision TEXT NOT NULL CHECK (decision IN ('approved', 'declined', 'cannot-take-part')),
        reported_at TEXT NOT NULL,
        PRIMARY KEY (site_id, task_id)
      ) STRICT;
    `,
  },
  {
    version: 7,
    name: 'homomorphic aggregation (the task key message the hub carries between the sites)',
    sql: `
      -- The maker site's signed message of sealed boxes (in the blob store), one per task; the hub
      -- cannot open it. Re-sealed to sites that join later, always under the same key id.
      CREATE TABLE homomorphic_task_keys (
        task_id TEXT PRIMARY KEY REFERENCES tasks (id),
        key_id TEXT NOT NULL,
        maker_site_id TEXT NOT NULL REFERENCES sites (id),
        message_sha256 TEXT NOT NULL,
        recipients TEXT NOT NULL,
        updated_at TEXT NOT NULL
      ) STRICT;
    `,
  },
  {
    version: 8,
    name: 'dashboard accounts, sessions and sign-in attempts (shared by every replica)',
    sql: `
      -- Who may sign in to the coordinator dashboard: each password's scrypt parameters, salt and hash
      -- as JSON, never the password. Moved here from the hub folder's coordinators.json (imported once),
      -- so every replica knows the same coordinators.
      CREATE TABLE coordinator_accounts (
        user_name TEXT PRIMARY KEY,
        password_scrypt TEXT NOT NULL,
        changed_at TEXT NOT NULL
      ) STRICT;

      -- Signed-in dashboard sessions, so a coordinator signed in through one replica is known to all.
      -- Only the SHA-256 of the browser's cookie token: a copy of the database signs no one in. Times in
      -- ms, compared on every request. account_changed_at is the account's changed_at at sign-in: a new
      -- password or a removed account no longer matches it, which ends the session. carried is what an
      -- action leaves for the next page (a sentence, a new enrollment token shown once), sealed with a
      -- key derived from the cookie token, so the database cannot read it either.
      CREATE TABLE coordinator_sessions (
        token_sha256 TEXT PRIMARY KEY,
        user_name TEXT NOT NULL,
        account_changed_at TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        last_seen_at INTEGER NOT NULL,
        carried TEXT
      ) STRICT;
      CREATE INDEX coordinator_sessions_by_last_seen ON coordinator_sessions (last_seen_at);
      CREATE INDEX coordinator_sessions_by_created ON coordinator_sessions (created_at);

      -- Sign-in attempts the rate limit counts, one row per limit an attempt counts against (the client
      -- address, and the SHA-256 of the name typed): a failure from when it begins, taken back when the
      -- password was right. Shared, so guesses spread over replicas meet one limit.
      CREATE TABLE dashboard_sign_in_attempts (
        attempt_id TEXT NOT NULL,
        limit_key TEXT NOT NULL,
        started_at INTEGER NOT NULL,
        PRIMARY KEY (attempt_id, limit_key)
      ) STRICT;
      CREATE INDEX dashboard_sign_in_attempts_by_limit ON dashboard_sign_in_attempts (limit_key, started_at);
      CREATE INDEX dashboard_sign_in_attempts_by_time ON dashboard_sign_in_attempts (started_at);
    `,
  },
  {
    version: 9,
    name: 'split-learning trunk checkpoints in the database (replicated hubs)',
    sql: `
      -- The latest checkpoint of each split task's trunk (its sessions' owners and the trunk's bytes,
      -- as in the hub folder's split/<task>/trunk.ckpt), so the replica that takes the trunk over after
      -- another dies resumes it. One row replaced whole per step: the trunk and each session's last
      -- step move together. Used on PostgreSQL; the one-process SQLite hub keeps the file.
      CREATE TABLE split_trunk_checkpoints (
        task_id TEXT PRIMARY KEY REFERENCES tasks (id),
        checkpoint BLOB NOT NULL,
        updated_at TEXT NOT NULL
      ) STRICT;
    `,
  },
  {
    version: 10,
    name: "secure aggregation: each site's signature over its round keys",
    sql: `
      -- The site's Ed25519 signature (its enrolled key) over its round keys, which the hub passes on to
      -- its neighbours so that they can tell the keys are the site's (docs/secure-aggregation.md). Null
      -- for rows of rounds from before.
      ALTER TABLE secagg_participants ADD COLUMN keys_signature TEXT;
    `,
  },
];

export const LATEST_SCHEMA_VERSION = latestVersion(MIGRATIONS);

export { schemaVersion };

/** Brings the hub database up to date with the one runner the site uses too. Returns the versions applied. */
export function applyMigrations(db: Database): number[] {
  return runMigrations(db, MIGRATIONS);
}
