// A member's round secrets sealed in a real swarm.db in a temp dir, under a key derived from its real
// Ed25519 signing key: they open only with that key, only in the round and slot they were kept for,
// and are gone once the round is forgotten.
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Database } from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RoundSecretStore } from './round-secret-store.ts';
import { openSwarmDatabase } from './swarm-database.ts';

const SWARM = 'ab'.repeat(32);
let dir: string;
let db: Database;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'radfed-round-secrets-'));
  db = openSwarmDatabase(join(dir, 'swarm.db'));
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("a member's round secrets kept in swarm.db", () => {
  it('are sealed under its signing key, bound to their round and slot, and forgotten after the round', () => {
    const own = generateKeyPairSync('ed25519').privateKey;
    const store = new RoundSecretStore(db, own, () => SWARM);
    const nonce = { nonce: 'c3'.repeat(32), revealed: false };
    store.put(4, 'nonce', nonce);
    expect(store.get(4, 'nonce')).toEqual(nonce);
    const sealed = db.prepare<[], string>('SELECT sealed FROM round_secrets').pluck().get()!;
    expect(Buffer.from(sealed, 'base64url').toString('latin1')).not.toContain(nonce.nonce);
    // Another member's key (a swarm.db copied to another site) opens nothing.
    const other = new RoundSecretStore(db, generateKeyPairSync('ed25519').privateKey, () => SWARM);
    expect(() => other.get(4, 'nonce')).toThrow(expect.objectContaining({ code: 'bad-message' }));
    // A sealed value moved to another round does not open there.
    db.prepare('UPDATE round_secrets SET round = 5').run();
    expect(() => store.get(5, 'nonce')).toThrow(/do not open with its key/);
    store.put(6, 'attempt:abc', { masked: true });
    expect(store.names(6, 'attempt:')).toEqual(['attempt:abc']);
    store.forgetBefore(7);
    expect(db.prepare('SELECT COUNT(*) AS n FROM round_secrets').get()).toEqual({ n: 0 });
  });
});
