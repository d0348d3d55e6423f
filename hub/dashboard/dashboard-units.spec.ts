// The dashboard's building blocks on their own, with a clock the test moves: sessions, the sign-in
// limiter, password hashes, and HTML escaping.
import { describe, expect, it } from 'vitest';
import { hashPassword, verifyPassword } from './coordinator-accounts.ts';
import { escapeHtml, html, jsonScriptContent } from './html.ts';
import { LoginLimiter } from './login-limiter.ts';
import { SessionStore } from './sessions.ts';
import { TEST_SCRYPT_COST } from './testing/dashboard-client.ts';

function clock() {
  let now = 1_000_000;
  return { now: () => now, add: (ms: number) => (now += ms) };
}

describe('SessionStore', () => {
  it('finds a session by its token only, and ends it when idle or too old', () => {
    const time = clock();
    const store = new SessionStore(time.now, { idleMs: 100, absoluteMs: 250, maxSessions: 10 });
    const { token, session } = store.create('coordinator');
    expect(store.touch(token)).toEqual({ state: 'active', session });
    expect(store.touch(`${token}x`).state).toBe('none');
    expect(store.touch(undefined).state).toBe('none');
    time.add(90);
    expect(store.touch(token).state).toBe('active');
    time.add(90);
    expect(store.touch(token).state).toBe('active');
    time.add(80); // 260 after creation, 80 after the last use
    expect(store.touch(token).state).toBe('expired');
    expect(store.touch(token).state).toBe('none');

    const idle = store.create('coordinator');
    time.add(101);
    expect(store.touch(idle.token).state).toBe('expired');
  });

  it('keeps at most maxSessions, dropping the oldest, and ends one on sign-out', () => {
    const store = new SessionStore(clock().now, { idleMs: 1000, absoluteMs: 1000, maxSessions: 2 });
    const first = store.create('a');
    const second = store.create('b');
    store.create('c');
    expect(store.size).toBe(2);
    expect(store.touch(first.token).state).toBe('none');
    store.end(second.token);
    expect(store.touch(second.token).state).toBe('none');
  });
});

describe('LoginLimiter', () => {
  /** Begins an attempt that must be allowed; it stays counted as a failure. */
  const fail = (limiter: LoginLimiter, address: string, user: string) => {
    const started = limiter.begin(address, user);
    if (!('attempt' in started)) throw new Error(`refused for ${started.waitMs} ms`);
    return started.attempt;
  };

  it('refuses an address after its failures, until the oldest counted one leaves the window', () => {
    const time = clock();
    const limiter = new LoginLimiter(time.now, { perAddress: 3, perAccount: 100, windowMs: 1000 });
    for (let i = 0; i < 3; i++) {
      expect(limiter.waitMs('10.0.0.1', 'coordinator')).toBe(0);
      fail(limiter, '10.0.0.1', 'coordinator');
      time.add(100);
    }
    expect(limiter.waitMs('10.0.0.1', 'coordinator')).toBe(700);
    expect(limiter.begin('10.0.0.1', 'coordinator')).toEqual({ waitMs: 700 });
    expect(limiter.waitMs('10.0.0.2', 'coordinator')).toBe(0);
    time.add(701);
    expect(limiter.waitMs('10.0.0.1', 'coordinator')).toBe(0);
  });

  it('limits guesses at one account from many addresses, and a success clears only its address', () => {
    const limiter = new LoginLimiter(clock().now, { perAddress: 2, perAccount: 3, windowMs: 1000 });
    for (const address of ['a', 'b', 'c']) fail(limiter, address, 'coordinator');
    expect(limiter.waitMs('d', 'coordinator')).toBeGreaterThan(0);
    expect(limiter.waitMs('d', 'deputy')).toBe(0);
    fail(limiter, 'e', 'deputy');
    const right = fail(limiter, 'e', 'other');
    expect(limiter.waitMs('e', 'third')).toBeGreaterThan(0);
    limiter.succeeded(right);
    expect(limiter.waitMs('e', 'third')).toBe(0);
  });

  it('counts attempts still being checked, so parallel guesses stop at the limit', () => {
    const limiter = new LoginLimiter(clock().now, { perAddress: 5, perAccount: 100, windowMs: 1000 });
    const started = Array.from({ length: 20 }, () => limiter.begin('10.0.0.1', 'coordinator'));
    expect(started.filter((s) => 'attempt' in s)).toHaveLength(5);
    expect(started.filter((s) => 'waitMs' in s)).toHaveLength(15);
  });

  it('takes back an attempt that succeeded (from the account) or was never checked (from both)', () => {
    const limiter = new LoginLimiter(clock().now, { perAddress: 2, perAccount: 2, windowMs: 1000 });
    const first = fail(limiter, 'a', 'coordinator');
    const second = fail(limiter, 'b', 'coordinator');
    expect(limiter.waitMs('c', 'coordinator')).toBeGreaterThan(0);
    limiter.succeeded(second);
    expect(limiter.waitMs('c', 'coordinator')).toBe(0);
    limiter.abandoned(first);
    fail(limiter, 'a', 'deputy');
    expect(limiter.waitMs('a', 'deputy')).toBe(0);
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
