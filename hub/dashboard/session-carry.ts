// What one dashboard page leaves for the next (POST, redirect, GET), which another replica may serve:
// a sentence saying what was done, and a new enrollment token's secret, shown once. Kept in the
// session's row, sealed with AES-256-GCM under a key derived from the browser's cookie token (which the
// database never holds), so the database, its backups and the other sessions cannot read the secret:
// the enrollment tokens table keeps only its SHA-256, and this keeps it that way.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { SqlEngine } from '../store/index.ts';
import type { Session } from './sessions.ts';

const carrySchema = z.object({
  notice: z.string().optional(),
  flash: z.object({ token: z.string(), siteName: z.string().nullable(), expiresAt: z.string() }).optional(),
});

export type Carried = z.infer<typeof carrySchema>;
/** A token just made, shown once on the next page and then forgotten. */
export type Flash = NonNullable<Carried['flash']>;

const IV_BYTES = 12;
const TAG_BYTES = 16;

export function sealCarried(key: Buffer, carried: Carried): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const body = Buffer.concat([cipher.update(JSON.stringify(carried), 'utf8'), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url');
}

/** The carry, or nothing when there is none or it does not open with this key (it is then dropped). */
export function openCarried(key: Buffer, sealed: string | null): Carried {
  if (!sealed) return {};
  try {
    const bytes = Buffer.from(sealed, 'base64url');
    const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, IV_BYTES));
    decipher.setAuthTag(bytes.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    const text = Buffer.concat([decipher.update(bytes.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]);
    const parsed = carrySchema.safeParse(JSON.parse(text.toString('utf8')));
    return parsed.success ? parsed.data : {};
  } catch {
    return {};
  }
}

export class SessionCarry {
  constructor(private readonly sql: SqlEngine) {}

  /** Adds to what the session carries to its next page. */
  async leave(session: Session, more: Carried): Promise<void> {
    await this.sql.transaction(async (tx) => {
      const row = await tx.get<{ carried: string | null }>(
        'SELECT carried FROM coordinator_sessions WHERE token_sha256 = @key',
        { key: session.tokenSha256 },
      );
      if (!row) return;
      const next = { ...openCarried(session.carryKey, row.carried), ...more };
      await tx.run('UPDATE coordinator_sessions SET carried = @carried WHERE token_sha256 = @key', {
        key: session.tokenSha256,
        carried: sealCarried(session.carryKey, next),
      });
    });
  }

  /**
   * Takes the named parts of what the session carried when its request began (the rest stays for a
   * later page). Taken once: of two requests racing for it, the one whose update finds the row
   * unchanged gets it.
   */
  async take(session: Session, parts: readonly (keyof Carried)[]): Promise<Carried> {
    const carried = openCarried(session.carryKey, session.carried);
    const taken: Carried = {};
    const rest: Carried = { ...carried };
    for (const part of parts) {
      if (carried[part] === undefined) continue;
      Object.assign(taken, { [part]: carried[part] });
      delete rest[part];
    }
    if (Object.keys(taken).length === 0) return {};
    const updated = await this.sql.run(
      'UPDATE coordinator_sessions SET carried = @rest WHERE token_sha256 = @key AND carried = @seen',
      {
        key: session.tokenSha256,
        seen: session.carried,
        rest: Object.keys(rest).length > 0 ? sealCarried(session.carryKey, rest) : null,
      },
    );
    return updated.changes > 0 ? taken : {};
  }
}
