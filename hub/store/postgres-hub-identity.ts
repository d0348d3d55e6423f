// Which hub a PostgreSQL database belongs to. Every replica of a hub loads the same keys from a copy of
// one hub folder; a replica started with another folder (a second `radfed hub init`, a folder from a
// test) would sign models with a key the sites never pinned and unseal nothing they sent. The first
// replica to start records its keys' fingerprints here; every later one must match them, or it refuses
// to start. One row, kept outside the numbered migrations: a SQLite hub is one process with its own
// folder and has nothing to compare.
import { HubError } from '../hub-errors.ts';
import type { HubKeys } from '../setup/index.ts';
import type { SqlEngine } from './sql-engine.ts';

/** What names a hub: its CA (which the sites pin), its signing key and its exchange key. */
export type HubIdentity = Pick<HubKeys, 'caFingerprint' | 'signingKeyFingerprint' | 'exchangePublicKey'>;

const CREATE_HUB_IDENTITY = `CREATE TABLE IF NOT EXISTS hub_identity (
  only_row BIGINT PRIMARY KEY CHECK (only_row = 1),
  ca_fingerprint TEXT NOT NULL,
  signing_key_fingerprint TEXT NOT NULL,
  exchange_public_key TEXT NOT NULL,
  recorded_at TEXT NOT NULL
)`;

interface IdentityRow {
  ca_fingerprint: string;
  signing_key_fingerprint: string;
  exchange_public_key: string;
}

/**
 * Records this replica's identity in a database that has none, or checks it against the one recorded.
 * Throws HubError 'hub-identity-mismatch' when they differ. The lock makes two first replicas agree
 * on one winner.
 */
export async function claimHubIdentity(engine: SqlEngine, identity: HubIdentity): Promise<void> {
  const recorded = await engine.transaction(async (tx) => {
    await tx.lock('radfed:hub:identity');
    await tx.run(CREATE_HUB_IDENTITY);
    await tx.run(
      `INSERT INTO hub_identity (only_row, ca_fingerprint, signing_key_fingerprint, exchange_public_key, recorded_at)
       VALUES (1, @ca, @signing, @exchange, @now) ON CONFLICT (only_row) DO NOTHING`,
      {
        ca: identity.caFingerprint,
        signing: identity.signingKeyFingerprint,
        exchange: identity.exchangePublicKey,
        now: new Date().toISOString(),
      },
    );
    return tx.get<IdentityRow>(
      'SELECT ca_fingerprint, signing_key_fingerprint, exchange_public_key FROM hub_identity WHERE only_row = 1',
    );
  });
  const same =
    recorded !== undefined &&
    recorded.ca_fingerprint === identity.caFingerprint &&
    recorded.signing_key_fingerprint === identity.signingKeyFingerprint &&
    recorded.exchange_public_key === identity.exchangePublicKey;
  if (!same)
    throw new HubError(
      'hub-identity-mismatch',
      500,
      'This database belongs to a hub with other keys than the ones in this replica’s hub folder ' +
        `(the database's signing key is ${recorded?.signing_key_fingerprint ?? 'unknown'}, this folder's is ${identity.signingKeyFingerprint}). ` +
        'Give every replica a copy of the same hub folder (made once with `radfed hub init`), or point --database at this hub’s own database.',
    );
}
