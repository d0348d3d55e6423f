// Coordinator sessions, kept in the hub process's memory: a restart signs everyone out, and a copy of
// the hub folder holds no live session. The browser holds a random token in an HttpOnly cookie; the
// hub keeps only its SHA-256, so the map cannot be probed by timing. A session ends after a quiet
// spell (idle) or a fixed time after sign-in (absolute), whichever comes first.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export interface SessionPolicy {
  readonly idleMs: number;
  readonly absoluteMs: number;
  /** Oldest sessions are dropped beyond this many. */
  readonly maxSessions: number;
}

export const DEFAULT_SESSION_POLICY: SessionPolicy = {
  idleMs: 30 * 60_000,
  absoluteMs: 8 * 3600_000,
  maxSessions: 200,
};

export interface Session {
  readonly user: string;
  /** Sent in every form and checked on every POST (a second line of defence behind SameSite=Strict). */
  readonly csrfToken: string;
  readonly createdAt: number;
  lastSeenAt: number;
  /** A token just made, shown once on the next page and then forgotten. */
  flash?: { token: string; siteName: string | null; expiresAt: string } | undefined;
  /** A sentence for the next page after an action (what was done), shown once. */
  notice?: string | undefined;
}

export type SessionLookup =
  { readonly state: 'active'; readonly session: Session } | { readonly state: 'none' | 'expired' };

const digest = (token: string) => createHash('sha256').update(token).digest('hex');

export function randomToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Compares two secrets in constant time (their digests, so lengths do not leak either). */
export function sameSecret(a: string, b: string): boolean {
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}

export class SessionStore {
  private readonly sessions = new Map<string, Session>();

  constructor(
    private readonly now: () => number,
    readonly policy: SessionPolicy = DEFAULT_SESSION_POLICY,
  ) {}

  create(user: string): { token: string; session: Session } {
    this.prune();
    while (this.sessions.size >= this.policy.maxSessions) {
      this.sessions.delete(this.sessions.keys().next().value as string);
    }
    const token = randomToken();
    const at = this.now();
    const session: Session = { user, csrfToken: randomToken(), createdAt: at, lastSeenAt: at };
    this.sessions.set(digest(token), session);
    return { token, session };
  }

  /** Finds the session and, when it is still valid, counts this as activity. */
  touch(token: string | undefined): SessionLookup {
    if (!token) return { state: 'none' };
    const key = digest(token);
    const session = this.sessions.get(key);
    if (!session) return { state: 'none' };
    if (this.expired(session)) {
      this.sessions.delete(key);
      return { state: 'expired' };
    }
    session.lastSeenAt = this.now();
    return { state: 'active', session };
  }

  end(token: string | undefined): void {
    if (token) this.sessions.delete(digest(token));
  }

  get size(): number {
    return this.sessions.size;
  }

  private expired(session: Session): boolean {
    const now = this.now();
    return now - session.lastSeenAt > this.policy.idleMs || now - session.createdAt > this.policy.absoluteMs;
  }

  private prune(): void {
    for (const [key, session] of this.sessions) if (this.expired(session)) this.sessions.delete(key);
  }
}
