// The dashboard's sign-in and session checks against a real hub over HTTPS: wrong passwords, the rate
// limit, expiry, CSRF and same-origin checks, and the site API left as strict as it was.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PROTOCOL_HEADER, PROTOCOL_VERSION } from '../../shared/federation/index.ts';
import { makeTestHub, type TestHub } from '../testing/test-hub.ts';
import { SCRYPT_COST } from './coordinator-accounts.ts';
import { setCoordinatorPassword } from './index.ts';
import { DashboardClient, hiddenField, TEST_SCRYPT_COST } from './testing/dashboard-client.ts';

const PASSWORD = 'correct horse battery staple';

describe('hub dashboard sign-in', () => {
  let testHub: TestHub;
  let client: DashboardClient;

  beforeEach(async () => {
    testHub = await makeTestHub({
      dashboard: {
        sessions: { idleMs: 10 * 60_000, absoluteMs: 60 * 60_000 },
        limiter: { perAddress: 3, perAccount: 6, windowMs: 5 * 60_000 },
      },
    });
    await setCoordinatorPassword(testHub.dir, 'coordinator', PASSWORD, { cost: TEST_SCRYPT_COST });
    client = new DashboardClient(testHub.hub.url, testHub.hub.ctx.keys.caCertPem);
  });
  afterEach(() => testHub.cleanup());

  it('sends a visitor without a session to the sign-in page, under a strict policy', async () => {
    const home = await client.get('/dashboard/');
    expect(home.status).toBe(303);
    expect(home.headers.location).toBe('/dashboard/login');
    const login = await client.get('/dashboard/login');
    expect(login.status).toBe(200);
    expect(login.text).toContain('Sign in to the RadFed hub');
    const csp = String(login.headers['content-security-policy']);
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(login.headers['x-frame-options']).toBe('DENY');
    expect(login.headers['cache-control']).toBe('no-store');
  });

  it('signs in with the right password and sets a Secure, HttpOnly, SameSite=Strict host cookie', async () => {
    const answer = await client.login('coordinator', PASSWORD);
    expect(answer.status).toBe(303);
    const cookie = [answer.headers['set-cookie'] ?? []]
      .flat()
      .find((c) => c.startsWith('__Host-radfed-hub-session='));
    expect(cookie).toMatch(/; Path=\/; Secure; HttpOnly; SameSite=Strict/);
    const home = await client.get('/dashboard/');
    expect(home.status).toBe(200);
    expect(home.text).toContain('Signed in as<strong>coordinator</strong>');
  });

  it('refuses a wrong password or an unknown name with the same sentence, and no session', async () => {
    for (const [user, password] of [
      ['coordinator', 'not the password at all'],
      ['nobody', PASSWORD],
    ] as const) {
      const answer = await client.login(user, password);
      expect(answer.status).toBe(401);
      expect(answer.text).toContain('The name or the password is wrong.');
      expect(client.cookies.has('__Host-radfed-hub-session')).toBe(false);
    }
    expect((await client.get('/dashboard/')).status).toBe(303);
  });

  it('refuses further sign-ins after repeated failures, even with the right password, until the window passes', async () => {
    for (let i = 0; i < 3; i++)
      expect((await client.login('coordinator', `wrong guess ${i}`)).status).toBe(401);
    const limited = await client.login('coordinator', PASSWORD);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(limited.text).toContain('Too many failed sign-ins');
    expect(client.cookies.has('__Host-radfed-hub-session')).toBe(false);

    testHub.shiftClock(5 * 60_000 + 1000);
    expect((await client.login('coordinator', PASSWORD)).status).toBe(303);
  });

  it('counts parallel wrong passwords before checking them: at most the limit are checked, then even the right one is refused', async () => {
    // A real-cost hash, so the guesses are still being checked when the others arrive (as in an attack).
    await setCoordinatorPassword(testHub.dir, 'coordinator', PASSWORD, { cost: SCRYPT_COST });
    // One client per attempt: each needs its own sign-in form token, as separate browser tabs would.
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => {
        const tab = new DashboardClient(testHub.hub.url, testHub.hub.ctx.keys.caCertPem);
        return tab.login('coordinator', `wrong guess ${i}`);
      }),
    );
    const statuses = answers.map((answer) => answer.status);
    expect(statuses.filter((status) => status === 401).length).toBeLessThanOrEqual(3);
    expect(statuses.filter((status) => status === 429).length).toBeGreaterThanOrEqual(17);
    const right = await client.login('coordinator', PASSWORD);
    expect(right.status).toBe(429);
    expect(client.cookies.has('__Host-radfed-hub-session')).toBe(false);

    testHub.shiftClock(5 * 60_000 + 1000);
    expect((await client.login('coordinator', PASSWORD)).status).toBe(303);
  });

  it('ends a session after the idle time and after the absolute time', async () => {
    await client.login('coordinator', PASSWORD);
    testHub.shiftClock(10 * 60_000 + 1000);
    const idle = await client.get('/dashboard/');
    expect(idle.status).toBe(303);
    expect(idle.headers.location).toBe('/dashboard/login?reason=expired');
    expect((await client.get('/dashboard/login?reason=expired')).text).toContain('Your session ended');

    expect((await client.login('coordinator', PASSWORD)).status).toBe(303);
    for (let i = 0; i < 6; i++) {
      testHub.shiftClock(9 * 60_000);
      expect((await client.get('/dashboard/sites')).status).toBe(200);
    }
    testHub.shiftClock(9 * 60_000); // 63 min after sign-in: past the hour, though never idle
    expect((await client.get('/dashboard/sites')).headers.location).toBe('/dashboard/login?reason=expired');
  });

  it('refuses a POST without the CSRF token, or from another origin, and changes nothing', async () => {
    await client.login('coordinator', PASSWORD);
    const csrf = await client.csrf();
    const form = { expires: '24h', siteName: 'Site A', hubUrl: testHub.hub.url };
    const tokens = async () => (await testHub.hub.ctx.store.sites.listTokens()).length;

    expect((await client.post('/dashboard/tokens', form)).status).toBe(403);
    expect((await client.post('/dashboard/tokens', { ...form, csrf: 'x'.repeat(43) })).status).toBe(403);
    const foreign = await client.post(
      '/dashboard/tokens',
      { ...form, csrf },
      { origin: 'https://evil.example' },
    );
    expect(foreign.status).toBe(403);
    const crossSite = await client.post(
      '/dashboard/tokens',
      { ...form, csrf },
      { 'sec-fetch-site': 'cross-site' },
    );
    expect(crossSite.status).toBe(403);
    expect(await tokens()).toBe(0);

    const made = await client.post('/dashboard/tokens', { ...form, csrf });
    expect(made.status).toBe(303);
    expect(await tokens()).toBe(1);
  });

  it('refuses a sign-in form that did not come from the sign-in page (login CSRF)', async () => {
    const answer = await client.post('/dashboard/login', {
      login: 'made-up',
      user: 'coordinator',
      password: PASSWORD,
    });
    expect(answer.status).toBe(403);
    expect(client.cookies.has('__Host-radfed-hub-session')).toBe(false);
  });

  it('signs out, and the old cookie no longer works', async () => {
    await client.login('coordinator', PASSWORD);
    const cookie = client.cookies.get('__Host-radfed-hub-session') as string;
    const out = await client.post('/dashboard/logout', { csrf: await client.csrf() });
    expect(out.status).toBe(303);
    expect(out.headers.location).toBe('/dashboard/login?reason=signed-out');
    client.cookies.set('__Host-radfed-hub-session', cookie);
    expect((await client.get('/dashboard/')).status).toBe(303);
  });

  it('ends existing sessions when the password is changed', async () => {
    await client.login('coordinator', PASSWORD);
    expect((await client.get('/dashboard/')).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 5));
    await setCoordinatorPassword(testHub.dir, 'coordinator', 'a brand new passphrase', {
      cost: TEST_SCRYPT_COST,
    });
    const after = await client.get('/dashboard/');
    expect(after.headers.location).toBe('/dashboard/login?reason=password-changed');
  });

  it('leaves the site API as strict as before: unsigned requests and form bodies are refused', async () => {
    await client.login('coordinator', PASSWORD);
    // A site of this release's protocol, so that what answers is the signature check (426 otherwise).
    const current = { [PROTOCOL_HEADER]: String(PROTOCOL_VERSION) };
    const tasks = await client.get('/v1/tasks', current);
    expect(tasks.status).toBe(401);
    expect(JSON.parse(tasks.text).error).toBe('unsigned');
    const form = await client.post('/v1/enroll', { tokenSecret: 'x' }, current);
    expect(form.status).toBe(415);
    expect((await client.get('/v1/hub')).status).toBe(200);
  });

  it('checks one password at a time and turns further sign-ins away with 503 while it is busy', async () => {
    const busy = await makeTestHub({
      dashboard: {
        limiter: { perAddress: 100, perAccount: 100 },
        passwordChecks: { concurrent: 1, waiting: 0 },
      },
    });
    try {
      // Unknown names are checked against a full-cost decoy hash (a few hundred ms each), so the
      // other sign-ins arrive while the first is still being checked.
      const answers = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          new DashboardClient(busy.hub.url, busy.hub.ctx.keys.caCertPem).login(`nobody-${i}`, PASSWORD),
        ),
      );
      const refused = answers.filter((answer) => answer.status === 503);
      expect(refused.length).toBeGreaterThan(0);
      expect(refused[0]?.headers['retry-after']).toBe('5');
      expect(refused[0]?.text).toContain('The hub is busy checking other sign-ins');
      expect(answers.every((answer) => answer.status === 401 || answer.status === 503)).toBe(true);
    } finally {
      await busy.cleanup();
    }
  });

  it('says how to make the first account when there is none', async () => {
    const bare = await makeTestHub();
    try {
      const page = await new DashboardClient(bare.hub.url, bare.hub.ctx.keys.caCertPem).get(
        '/dashboard/login',
      );
      expect(page.text).toContain('No coordinator account exists yet');
      expect(page.text).toContain('radfed hub coordinator set-password');
      expect(hiddenField(page.text, 'login')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    } finally {
      await bare.cleanup();
    }
  });
});
