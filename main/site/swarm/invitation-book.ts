// The invitations a member issued, in its swarm database. Only the SHA-256 of each secret is kept;
// redeeming is one-time and atomic (two join requests with one secret: one is admitted), and an
// invitation expires. The invitation's id (the first 32 hex digits of that SHA-256) goes into the
// join entry, so the ledger itself refuses a second join with the same invitation at any member.
import { randomBytes } from 'node:crypto';
import type { Database } from 'better-sqlite3';
import { sha256Hex } from '../../../shared/node/federation/index.ts';
import { formatSwarmInvitation } from './invitation-token.ts';
import { SwarmError } from './swarm-error.ts';

export const DEFAULT_INVITATION_DAYS = 7;

/** The id an invitation has in the ledger: known to inviter and joiner, useless without the secret. */
export function invitationIdFor(secret: string): string {
  return sha256Hex(secret).slice(0, 32);
}

export interface IssueInvitationOptions {
  readonly swarmId: string;
  readonly inviterAddress: string;
  readonly inviterKeyFingerprint: string;
  readonly now: Date;
  readonly validForDays?: number;
}

export class InvitationBook {
  constructor(private readonly db: Database) {}

  /** A new invitation token ("rfs1.…") to hand to the joining hospital; the secret is not kept. */
  issue(options: IssueInvitationOptions): string {
    const secret = randomBytes(32).toString('base64url');
    const days = options.validForDays ?? DEFAULT_INVITATION_DAYS;
    const expires = new Date(options.now.getTime() + days * 86_400_000);
    this.db
      .prepare(
        'INSERT INTO invitations (id, secret_hash, swarm, created_at, expires_at) VALUES (?, ?, ?, ?, ?)',
      )
      .run(
        invitationIdFor(secret),
        sha256Hex(secret),
        options.swarmId,
        options.now.toISOString(),
        expires.toISOString(),
      );
    return formatSwarmInvitation({
      inviterAddress: options.inviterAddress,
      swarmId: options.swarmId,
      inviterKeyFingerprint: options.inviterKeyFingerprint,
      secret,
    });
  }

  /**
   * Marks the invitation with `secret` as used by `joiner` and returns its id. Throws
   * SwarmError('bad-invitation') when it is unknown, for another swarm, expired or already used.
   */
  redeem(secret: string, swarmId: string, joiner: string, now: Date): string {
    return this.db
      .transaction((): string => {
        const id = invitationIdFor(secret);
        const row = this.db
          .prepare<
            [string],
            { secret_hash: string; swarm: string; expires_at: string; used_at: string | null }
          >('SELECT secret_hash, swarm, expires_at, used_at FROM invitations WHERE id = ?')
          .get(id);
        const refuse = (why: string): never => {
          throw new SwarmError('bad-invitation', `${why} Ask a member of the swarm for a new invitation.`);
        };
        if (row === undefined || row.secret_hash !== sha256Hex(secret) || row.swarm !== swarmId)
          refuse('This invitation was not issued by this member for this swarm.');
        if (row?.used_at !== null) refuse('This invitation was already used.');
        if (Date.parse(row?.expires_at ?? '') <= now.getTime()) refuse('This invitation has expired.');
        this.db
          .prepare('UPDATE invitations SET used_at = ?, joiner = ? WHERE id = ?')
          .run(now.toISOString(), joiner, id);
        return id;
      })
      .immediate();
  }
}
