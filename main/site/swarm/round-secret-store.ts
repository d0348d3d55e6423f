// A member's secrets of the round in progress, kept in its swarm.db so that a member restarted mid-round
// (a workstation rebooted, `swarm serve` killed) rejoins the same round instead of missing it: its round
// nonce until it is revealed, and its SecAgg+ round secrets, shares and progress per leader attempt.
//
// They are sealed at rest with AES-256-GCM under a key derived (HKDF-SHA256) from the member's Ed25519
// swarm signing key, the key in D/keys/ (0600) that already proves it is this member: whoever can read
// that key can act as the member anyway, and whoever holds only a copy of swarm.db (a backup) learns
// nothing. The swarm, round and name are the associated data, so a sealed value cannot be moved to
// another round or slot. Rows are deleted once the round's aggregate commits.
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes, type KeyObject } from 'node:crypto';
import type { Database } from 'better-sqlite3';
import { SwarmError } from './swarm-error.ts';

const HKDF_INFO = 'RADFED-SWARM-ROUND-SECRETS-V1';

/** The sealing key: HKDF-SHA256 of the signing key's 32 private bytes, bound to the swarm. */
function sealingKey(signingKey: KeyObject, swarm: string): Buffer {
  const raw = Buffer.from(signingKey.export({ format: 'jwk' }).d as string, 'base64url');
  return Buffer.from(hkdfSync('sha256', raw, Buffer.from(swarm, 'hex'), HKDF_INFO, 32));
}

export class RoundSecretStore {
  constructor(
    private readonly db: Database,
    private readonly signingKey: KeyObject,
    private readonly swarm: () => string,
  ) {}

  put(round: number, name: string, value: unknown): void {
    const swarm = this.swarm();
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', sealingKey(this.signingKey, swarm), iv);
    cipher.setAAD(associatedData(swarm, round, name));
    const body = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
    const sealed = Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url');
    this.db
      .prepare(
        'INSERT INTO round_secrets (swarm, round, name, sealed, stored_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (swarm, round, name) DO UPDATE SET sealed = excluded.sealed, stored_at = excluded.stored_at',
      )
      .run(swarm, round, name, sealed, new Date().toISOString());
  }

  /** The value kept under `name` for `round`, or undefined. Throws SwarmError when it was tampered with. */
  get<T>(round: number, name: string): T | undefined {
    const swarm = this.swarm();
    const sealed = this.db
      .prepare<[string, number, string], string>(
        'SELECT sealed FROM round_secrets WHERE swarm = ? AND round = ? AND name = ?',
      )
      .pluck()
      .get(swarm, round, name);
    if (sealed === undefined) return undefined;
    const bytes = Buffer.from(sealed, 'base64url');
    try {
      const decipher = createDecipheriv(
        'aes-256-gcm',
        sealingKey(this.signingKey, swarm),
        bytes.subarray(0, 12),
      );
      decipher.setAAD(associatedData(swarm, round, name));
      decipher.setAuthTag(bytes.subarray(12, 28));
      const plain = Buffer.concat([decipher.update(bytes.subarray(28)), decipher.final()]);
      return JSON.parse(plain.toString('utf8')) as T;
    } catch {
      throw new SwarmError(
        'bad-message',
        `This member's kept secrets of round ${round} do not open with its key (the swarm.db was changed, or belongs to another member); the round goes on without them.`,
      );
    }
  }

  /** Names kept for `round` that begin with `prefix`. */
  names(round: number, prefix: string): string[] {
    return this.db
      .prepare<[string, number], string>('SELECT name FROM round_secrets WHERE swarm = ? AND round = ?')
      .pluck()
      .all(this.swarm(), round)
      .filter((name) => name.startsWith(prefix));
  }

  delete(round: number, name: string): void {
    this.db
      .prepare('DELETE FROM round_secrets WHERE swarm = ? AND round = ? AND name = ?')
      .run(this.swarm(), round, name);
  }

  /** Deletes everything kept for rounds before `round` (their aggregates are committed). */
  forgetBefore(round: number): void {
    this.db.prepare('DELETE FROM round_secrets WHERE swarm = ? AND round < ?').run(this.swarm(), round);
  }
}

function associatedData(swarm: string, round: number, name: string): Buffer {
  return Buffer.from(`${swarm}\n${round}\n${name}`);
}
