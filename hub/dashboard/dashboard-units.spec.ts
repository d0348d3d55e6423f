// The dashboard's building blocks on their own, with a clock the test moves: sessions and the sign-in
// limiter (on a real SQLite hub database in a temporary folder), password hashes, and HTML escaping.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openHubDatabase, SqliteEngine } from '../store/index.ts';
import { hashPassword, verifyPassword } from './coordinator-accounts.ts';
import { escapeHtml, html, jsonScriptContent } from './html.ts';
import { LoginLimiter } from './login-limiter.ts';
import { SessionCarry } from './session-carry.ts';
import { SessionStore } from './sessions.ts';
import { TEST_SCRYPT_COST } from './testing/dashboard-client.ts';

function clock() {
  let now = 1_000_000;
  return { now: () => now, add: (ms: number) => (now += ms) };
}

let root: string;
let engine: SqliteEngine;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'radfed-dashboard-units-'));
  engine = new SqliteEngine(openHubDatabase(join(root, 'hub.db')));
});
afterEach(async () => {
  await engine.close();
  rmSync(root, { recursive: true, force: true });
});

const CHANGED = '2026-01-01T00:00:00.000Z';

describe('SessionStore', () => {
  it('finds a session by its token only, and ends it when idle or too old', async () => {
    const time = clock();
    const store = new SessionStore(engine, time.now, { idleMs: 100, absoluteMs: 250, maxSessions: 10 });
    const { token, session } = await store.create('coordinator', CHANGED);
    expect(await store.touch(token)).toMatchObject({ state: 'active', session: { user: 'coordinator' } });
    expect((await store.touch(`${token}x`)).state).toBe('none');
    expect((await store.touch(undefined)).state).toBe('none');
    time.add(90);
    expect((await store.touch(token)).state).toBe('active');
    time.add(90);
    expect((await store.touch(token)).state).toBe('active');
    time.add(80); // 260 after creation, 80 after the last use
    expect((await store.touch(token)).state).toBe('expired');
    expect((await store.touch(token)).state).toBe('none');

    const idle = await store.create('coordinator', CHANGED);
    time.add(101);
    expect((await store.touch(idle.token)).state).toBe('expired');
    expect(session.csrfToken).not.toBe(idle.session.csrfToken);
  });

  it('keeps only the SHA-256 of the token in the database, and no CSRF token', async () => {
    const store = new SessionStore(engine, clock().now);
    const { token, session } = await store.create('coordinator', CHANGED);
    const rows = await engine.all<Record<string, unknown>>('SELECT * FROM coordinator_sessions');
    const stored = JSON.stringify(rows);
    expect(stored).not.toContain(token);
    expect(stored).not.toContain(session.csrfToken);
    expect(rows[0]?.token_sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('keeps at most maxSessions, dropping the oldest, and ends one on sign-out', async () => {
    const time = clock();
    const store = new SessionStore(engine, time.now, { idleMs: 1000, absoluteMs: 1000, maxSessions: 2 });
    const first = await store.create('a', CHANGED);
    time.add(1);
    const second = await store.create('b', CHANGED);
    time.add(1);
    await store.create('c', CHANGED);
    expect(await store.count()).toBe(2);
    expect((await store.touch(first.token)).state).toBe('none');
    await store.end(second.token);
    expect((await store.touch(second.token)).state).toBe('none');
  });

  it('writes activity only once it moved on by 5% of the idle time, so a page view is a read', async () => {
    const time = clock();
    const store = new SessionStore(engine, time.now, { idleMs: 1000, absoluteMs: 10_000, maxSessions: 10 });
    const { token } = await store.create('coordinator', CHANGED);
    const lastSeen = async () =>
      (await engine.get<{ last_seen_at: number }>('SELECT last_seen_at FROM coordinator_sessions'))
        ?.last_seen_at;
    time.add(49);
    await store.touch(token);
    expect(await lastSeen()).toBe(1_000_000);
    time.add(1);
    await store.touch(token);
    expect(await lastSeen()).toBe(1_000_050);
  });

  it('sweeps the rows of ended sessions when someone signs in', async () => {
    const time = clock();
    const store = new SessionStore(engine, time.now, { idleMs: 100, absoluteMs: 1000, maxSessions: 10 });
    await store.create('a', CHANGED);
    await store.create('b', CHANGED);
    time.add(101);
    await store.create('c', CHANGED);
    expect(await store.count()).toBe(1);
  });

  it('carries a sealed notice and token to the next page, each taken once', async () => {
    const store = new SessionStore(engine, clock().now);
    const carry = new SessionCarry(engine);
    const { token, session } = await store.create('coordinator', CHANGED);
    const flash = { token: 'rf1_secret-of-the-enrollment-token', siteName: null, expiresAt: CHANGED };
    await carry.leave(session, { flash });
    await carry.leave(session, { notice: 'Stopped the task.' });
    expect(JSON.stringify(await engine.all('SELECT carried FROM coordinator_sessions'))).not.toContain(
      'secret-of-the-enrollment-token',
    );
    const next = await store.touch(token);
    if (next.state !== 'active') throw new Error('the session ended');
    expect(await carry.take(next.session, ['notice'])).toEqual({ notice: 'Stopped the task.' });
    const later = await store.touch(token);
    if (later.state !== 'active') throw new Error('the session ended');
    expect(await carry.take(later.session, ['notice', 'flash'])).toEqual({ flash });
    const last = await store.touch(token);
    if (last.state !== 'active') throw new Error('the session ended');
    expect(await carry.take(last.session, ['notice', 'flash'])).toEqual({});
  });
});

describe('LoginLimiter', () => {
  /** Begins an attempt that must be allowed; it stays counted as a failure. */
  const fail = async (limiter: LoginLimiter, address: string, user: string) => {
    const started = await limiter.begin(address, user);
    if (!('attempt' in started)) throw new Error(`refused for ${started.waitMs} ms`);
    return started.attempt;
  };

  it('refuses an address after its failures, until the oldest counted one leaves the window', async () => {
    const time = clock();
    const limiter = new LoginLimiter(engine, time.now, { perAddress: 3, perAccount: 100, windowMs: 1000 });
    for (let i = 0; i < 3; i++) {
      expect(await limiter.waitMs('10.0.0.1', 'coordinator')).toBe(0);
      await fail(limiter, '10.0.0.1', 'coordinator');
      time.add(100);
    }
    expect(await limiter.waitMs('10.0.0.1', 'coordinator')).toBe(700);
    expect(await limiter.begin('10.0.0.1', 'coordinator')).toEqual({ waitMs: 700 });
    expect(await limiter.waitMs('10.0.0.2', 'coordinator')).toBe(0);
    time.add(701);
    expect(await limiter.waitMs('10.0.0.1', 'coordinator')).toBe(0);
  });

  it('limits guesses at one account from many addresses, and a success clears only its address', async () => {
    const limiter = new LoginLimiter(engine, clock().now, { perAddress: 2, perAccount: 3, windowMs: 1000 });
    for (const address of ['a', 'b', 'c']) await fail(limiter, address, 'coordinator');
    expect(await limiter.waitMs('d', 'coordinator')).toBeGreaterThan(0);
    expect(await limiter.waitMs('d', 'deputy')).toBe(0);
    await fail(limiter, 'e', 'deputy');
    const right = await fail(limiter, 'e', 'other');
    expect(await limiter.waitMs('e', 'third')).toBeGreaterThan(0);
    await limiter.succeeded(right);
    expect(await limiter.waitMs('e', 'third')).toBe(0);
  });

  it('counts attempts still being checked, so parallel guesses stop at the limit', async () => {
    const limiter = new LoginLimiter(engine, clock().now, { perAddress: 5, perAccount: 100, windowMs: 1000 });
    const started = await Promise.all(
      Array.from({ length: 20 }, () => limiter.begin('10.0.0.1', 'coordinator')),
    );
    expect(started.filter((s) => 'attempt' in s)).toHaveLength(5);
    expect(started.filter((s) => 'waitMs' in s)).toHaveLength(15);
  });

  it('takes back an attempt that succeeded (from the account) or was never checked (from both)', async () => {
    const limiter = new LoginLimiter(engine, clock().now, { perAddress: 2, perAccount: 2, windowMs: 1000 });
    const first = await fail(limiter, 'a', 'coordinator');
    const second = await fail(limiter, 'b', 'coordinator');
    expect(await limiter.waitMs('c', 'coordinator')).toBeGreaterThan(0);
    await limiter.succeeded(second);
    expect(await limiter.waitMs('c', 'coordinator')).toBe(0);
    await limiter.abandoned(first);
    await fail(limiter, 'a', 'deputy');
    expect(await limiter.waitMs('a', 'deputy')).toBe(0);
  });

  it('keeps the name typed only as its SHA-256, and sweeps attempts out of the window', async () => {
    const time = clock();
    const limiter = new LoginLimiter(engine, time.now, { perAddress: 5, perAccount: 5, windowMs: 1000 });
    await fail(limiter, '10.0.0.1', 'my password typed as the name');
    const stored = JSON.stringify(await engine.all('SELECT * FROM dashboard_sign_in_attempts'));
    expect(stored).not.toContain('my password');
    time.add(1001);
    await fail(limiter, '10.0.0.2', 'coordinator');
    const left = await engine.all<{ limit_key: string }>('SELECT limit_key FROM dashboard_sign_in_attempts');
    expect(left.map((row) => row.limit_key)).not.toContain('address:10.0.0.1');
  });
});

describe('password hashes', () => {
  it('verify the password they were made from and nothing else', async () => {
    const hash = await hashPassword('correct horse battery staple', TEST_SCRYPT_COST);
    expect(hash.salt).not.toBe((await hashPassword('correct horse battery staple', TEST_SCRYPT_COST)).salt);
    expect(await verifyPassword('correct horse battery staple', hash)).toBe(true);
    expect(await verifyPassword('correct horse battery stapl', hash)).toBe(false);
    expect(await verifyPassword('', hash)).toBe(false);
  });
});

describe('html', () => {
  it('escapes every interpolated value but keeps markup made with html``', () => {
    const name = `<script>alert("x")</script>&'`;
    expect(html`<p title="${name}">${name}</p>`.value).toBe(
      '<p title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;</p>',
    );
    const markup = html; // another name, so the formatter leaves this exact markup alone
    expect(markup`<ul>${['a<', 'b'].map((x) => markup`<li>${x}</li>`)}</ul>`.value).toBe(
      '<ul><li>a&lt;</li><li>b</li></ul>',
    );
    expect(html`${null}${undefined}${false}${0}`.value).toBe('0');
    expect(escapeHtml('a&b')).toBe('a&amp;b');
  });

  it('writes JSON that cannot close its script element', () => {
    const text = jsonScriptContent({ label: '</script><script>alert(1)</script>' }).value;
    expect(text).not.toContain('</script>');
    expect(JSON.parse(text)).toEqual({ label: '</script><script>alert(1)</script>' });
  });
});
