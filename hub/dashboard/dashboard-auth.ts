// Who may use the dashboard: coordinator accounts, sessions and the sign-in rate limit, all in the hub's
// database (so every replica behind a balancer agrees on them), and the checks every request passes: a
// live session whose account still exists with the same password, and on every POST the session's
// CSRF token and a same-origin request. Sign-in failures are logged with the client address only,
// never with what was typed.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { HubContext } from '../hub-context.ts';
import { decoyHash, verifyPassword } from './coordinator-accounts.ts';
import { CoordinatorRows } from './coordinator-rows.ts';
import { clearCookie, LOGIN_COOKIE, readCookie, SESSION_COOKIE, setCookie } from './cookies.ts';
import { LoginLimiter, type LimiterPolicy } from './login-limiter.ts';
import {
  DEFAULT_PASSWORD_CHECK_POLICY,
  PasswordCheckGate,
  type PasswordCheckPolicy,
} from './password-check-gate.ts';
import { SessionCarry, type Carried, type Flash } from './session-carry.ts';
import { randomToken, sameSecret, SessionStore, type Session, type SessionPolicy } from './sessions.ts';
import { DASHBOARD_PREFIX } from './views/layout.ts';
import { loginPage, plainPage } from './views/login-view.ts';

export interface DashboardAuthOptions {
  readonly sessions?: Partial<SessionPolicy>;
  readonly limiter?: Partial<LimiterPolicy>;
  readonly passwordChecks?: Partial<PasswordCheckPolicy>;
}

export type FormBody = Record<string, string>;

const LOGIN_PATH = `${DASHBOARD_PREFIX}/login`;
const REASONS: Record<string, string> = {
  expired: 'Your session ended after a time without activity; sign in again.',
  'signed-out': 'You are signed out.',
  'password-changed': 'The password of this account was changed or the account removed; sign in again.',
};

export function formOf(request: FastifyRequest): FormBody {
  const body = request.body;
  return body && typeof body === 'object' && !Buffer.isBuffer(body) ? (body as FormBody) : {};
}

function field(form: FormBody, name: string, max: number): string {
  const value = form[name];
  return typeof value === 'string' ? value.slice(0, max) : '';
}

export class DashboardAuth {
  readonly sessions: SessionStore;
  readonly limiter: LoginLimiter;
  readonly passwordChecks: PasswordCheckGate;
  private readonly accounts: CoordinatorRows;
  private readonly carry: SessionCarry;
  private readonly active = new WeakMap<FastifyRequest, Session>();

  constructor(
    private readonly ctx: HubContext,
    options: DashboardAuthOptions = {},
  ) {
    this.accounts = new CoordinatorRows(ctx.store.sql);
    this.carry = new SessionCarry(ctx.store.sql);
    this.sessions = new SessionStore(ctx.store.sql, ctx.now, {
      idleMs: options.sessions?.idleMs ?? 30 * 60_000,
      absoluteMs: options.sessions?.absoluteMs ?? 8 * 3600_000,
      maxSessions: options.sessions?.maxSessions ?? 200,
    });
    this.limiter = new LoginLimiter(ctx.store.sql, ctx.now, {
      perAddress: options.limiter?.perAddress ?? 5,
      perAccount: options.limiter?.perAccount ?? 10,
      windowMs: options.limiter?.windowMs ?? 15 * 60_000,
    });
    this.passwordChecks = new PasswordCheckGate({
      ...DEFAULT_PASSWORD_CHECK_POLICY,
      ...options.passwordChecks,
    });
  }

  /** The session of a request that passed `guard`. */
  sessionOf(request: FastifyRequest): Session {
    const session = this.active.get(request);
    if (!session) throw new Error('The dashboard route ran without its session check.');
    return session;
  }

  /** Leaves a sentence for the session's next page (which another replica may serve). */
  leaveNotice(request: FastifyRequest, notice: string): Promise<void> {
    return this.carry.leave(this.sessionOf(request), { notice });
  }

  /** Leaves a new enrollment token for the next page, to be shown once. */
  leaveFlash(request: FastifyRequest, flash: Flash): Promise<void> {
    return this.carry.leave(this.sessionOf(request), { flash });
  }

  /** Takes what the previous page left (each part shown once). */
  takeCarried(request: FastifyRequest, parts: readonly (keyof Carried)[]): Promise<Carried> {
    return this.carry.take(this.sessionOf(request), parts);
  }

  async showLogin(
    request: FastifyRequest,
    reply: FastifyReply,
    extra: { status?: number; error?: string; user?: string } = {},
  ) {
    const loginToken = randomToken();
    const reason = (request.query as Record<string, unknown> | undefined)?.reason;
    const text = extra.error ?? (typeof reason === 'string' ? REASONS[reason] : undefined);
    const noAccounts = !(await this.accounts.any());
    return reply
      .code(extra.status ?? 200)
      .header('set-cookie', setCookie(LOGIN_COOKIE, loginToken, 3600))
      .type('text/html; charset=utf-8')
      .send(
        loginPage({
          hubName: this.ctx.config.name,
          loginToken,
          noAccounts,
          hubDir: this.ctx.layout.root,
          ...(text ? { notice: { text, tone: extra.error ? 'error' : 'info' } } : {}),
          ...(extra.user ? { user: extra.user } : {}),
        }),
      );
  }

  /** GET /dashboard/login */
  loginForm = async (request: FastifyRequest, reply: FastifyReply) => {
    const found = await this.sessions.touch(readCookie(request.headers.cookie, SESSION_COOKIE));
    if (found.state === 'active') return reply.redirect(`${DASHBOARD_PREFIX}/`, 303);
    return this.showLogin(request, reply);
  };

  /** POST /dashboard/login */
  login = async (request: FastifyRequest, reply: FastifyReply) => {
    const form = formOf(request);
    const user = field(form, 'user', 64).trim();
    const password = field(form, 'password', 1025);
    if (!sameOrigin(request)) return forbiddenPage(reply);
    const expected = readCookie(request.headers.cookie, LOGIN_COOKIE);
    if (!expected || !sameSecret(expected, field(form, 'login', 100))) {
      return this.showLogin(request, reply, {
        status: 403,
        error: 'The sign-in form had expired or was not sent from this page; try again.',
        user,
      });
    }
    const address = request.ip;
    // Counted as a failure before the password is checked, so parallel guesses cannot pass the limit.
    const started = await this.limiter.begin(address, user);
    if ('waitMs' in started) {
      request.log.warn({ address }, 'dashboard sign-in refused: too many failures');
      reply.header('retry-after', String(Math.ceil(started.waitMs / 1000)));
      return this.showLogin(request, reply, {
        status: 429,
        error: `Too many failed sign-ins. Wait ${Math.ceil(started.waitMs / 60_000)} min and try again; if you forgot the password, set a new one on the hub machine with \`radfed hub coordinator set-password\`.`,
        user,
      });
    }
    const { attempt } = started;
    let checked: Awaited<ReturnType<typeof this.checkPassword>>;
    try {
      checked = await this.checkPassword(user, password);
    } catch (error) {
      await this.limiter.abandoned(attempt);
      throw error;
    }
    if (checked.busy) {
      await this.limiter.abandoned(attempt);
      request.log.warn({ address }, 'dashboard sign-in refused: too many sign-ins being checked');
      reply.header('retry-after', '5');
      return this.showLogin(request, reply, {
        status: 503,
        error: 'The hub is busy checking other sign-ins; try again in a few seconds.',
        user,
      });
    }
    const account = checked.value;
    if (!account) {
      request.log.warn({ address }, 'dashboard sign-in failed');
      return this.showLogin(request, reply, {
        status: 401,
        error: 'The name or the password is wrong.',
        user,
      });
    }
    await this.limiter.succeeded(attempt);
    const { token } = await this.sessions.create(account.user, account.changedAt);
    request.log.info({ coordinator: account.user, address }, 'coordinator signed in');
    return reply
      .header('set-cookie', [setCookie(SESSION_COOKIE, token), clearCookie(LOGIN_COOKIE)])
      .redirect(`${DASHBOARD_PREFIX}/`, 303);
  };

  /** The account when the password is right; at most a few scrypt checks run at once (see the gate). */
  private checkPassword(user: string, password: string) {
    return this.passwordChecks.run(async () => {
      const account = user ? await this.accounts.find(user) : undefined;
      // An unknown name costs as much time as a known one, so the answer's timing does not tell them apart.
      const matches = await verifyPassword(password, account?.scrypt ?? (await decoyHash()));
      return account && matches ? account : undefined;
    });
  }

  /** POST /dashboard/logout (behind the guard, so it needs the CSRF token too). */
  logout = async (request: FastifyRequest, reply: FastifyReply) => {
    await this.sessions.end(readCookie(request.headers.cookie, SESSION_COOKIE));
    request.log.info({ coordinator: this.sessionOf(request).user }, 'coordinator signed out');
    return reply
      .header('set-cookie', clearCookie(SESSION_COOKIE))
      .redirect(`${LOGIN_PATH}?reason=signed-out`, 303);
  };

  /** Every page but sign-in and the static files: a live session, and for POST a CSRF-safe request. */
  guard = async (request: FastifyRequest, reply: FastifyReply) => {
    const token = readCookie(request.headers.cookie, SESSION_COOKIE);
    const found = await this.sessions.touch(token);
    if (found.state !== 'active') {
      return this.turnAway(request, reply, found.state === 'expired' ? 'expired' : null);
    }
    const { session } = found;
    // A new password or a removed account ends the sessions begun before it, on every replica.
    if (found.accountChangedAt !== session.accountChangedAt) {
      await this.sessions.end(token);
      return this.turnAway(request, reply, 'password-changed');
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      if (!sameOrigin(request) || !sameSecret(session.csrfToken, field(formOf(request), 'csrf', 100))) {
        request.log.warn(
          { coordinator: session.user },
          'dashboard request refused: missing or wrong CSRF token',
        );
        return forbiddenPage(reply);
      }
    }
    this.active.set(request, session);
  };

  private turnAway(request: FastifyRequest, reply: FastifyReply, reason: string | null) {
    reply.header('set-cookie', clearCookie(SESSION_COOKIE));
    const target = reason ? `${LOGIN_PATH}?reason=${reason}` : LOGIN_PATH;
    if (request.method === 'GET' || request.method === 'HEAD') return reply.redirect(target, 303);
    return reply
      .code(401)
      .type('text/html; charset=utf-8')
      .send(
        plainPage('Signed out', 'You are not signed in (or your session ended); nothing was changed.', {
          href: target,
          label: 'Sign in',
        }),
      );
  }
}

/**
 * A browser says where a request comes from: Sec-Fetch-Site, and Origin on every POST. A form on
 * another site posting here carries another origin (or "null"), and is refused.
 */
export function sameOrigin(request: FastifyRequest): boolean {
  const fetchSite = request.headers['sec-fetch-site'];
  if (fetchSite !== undefined && fetchSite !== 'same-origin' && fetchSite !== 'none') return false;
  const origin = request.headers.origin;
  if (origin === undefined) return true;
  try {
    const url = new URL(origin);
    return url.protocol === 'https:' && url.host === request.headers.host;
  } catch {
    return false;
  }
}

function forbiddenPage(reply: FastifyReply) {
  return reply
    .code(403)
    .type('text/html; charset=utf-8')
    .send(
      plainPage(
        'Request refused',
        'This request did not come from a dashboard page of this hub (its security token was missing or wrong), so nothing was changed. Go back, reload the page and try again.',
        { href: `${DASHBOARD_PREFIX}/`, label: 'Back to the dashboard' },
      ),
    );
}
