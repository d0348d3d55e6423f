// The dashboard of a replicated hub: two hubs started from one hub folder on one real PostgreSQL (as two
// replicas behind a round-robin balancer would be), sharing one clock the test moves. A coordinator
// signed in through one is signed in on the other: pages, a CSRF-checked POST, what a POST leaves for
// the next page, sign-out, expiry, a changed password and the sign-in limit all hold across them. The
// folder starts with an older hub's coordinators.json, which the first start moves into the database.
// (SQLite is one process, so this needs PostgreSQL; skipped where its programs are not installed.)
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initHub } from '../setup/index.ts';
import { startHub, type RunningHub } from '../server/start-hub.ts';
import { writeStoreChoice } from '../store-choice.ts';
import { BALANCER_ADDRESS, HAPROXY, startHaproxy } from '../testing/haproxy-server.ts';
import { postgresBinDir, startPostgresServer, type PostgresServer } from '../testing/postgres-server.ts';
import { hashPassword } from './coordinator-accounts.ts';
import { listCoordinators, setCoordinatorPassword } from './coordinator-admin.ts';
import { DashboardClient, hiddenField, TEST_SCRYPT_COST } from './testing/dashboard-client.ts';

const PASSWORD = 'correct horse battery staple';
const IDLE_MS = 10 * 60_000;
const ABSOLUTE_MS = 60 * 60_000;
const SESSION_COOKIE = '__Host-radfed-hub-session';

function postgresInstalled(): boolean {
  try {
    postgresBinDir();
    return true;
  } catch {
    return false;
  }
}

describe.skipIf(!postgresInstalled())('dashboard of two hub replicas on one PostgreSQL', () => {
  let server: PostgresServer;
  let root: string;
  let dir: string;
  let offset = 0;
  const replicas: RunningHub[] = [];
  let one: RunningHub;
  let other: RunningHub;

  const clientOf = (hub: RunningHub) => new DashboardClient(hub.url, hub.ctx.keys.caCertPem);
  /** The same browser (its cookies) pointed at the other replica. */
  const sameBrowserAt = (hub: RunningHub, browser: DashboardClient) => {
    const client = clientOf(hub);
    for (const [name, value] of browser.cookies) client.cookies.set(name, value);
    return client;
  };

  beforeAll(async () => {
    server = await startPostgresServer();
    root = mkdtempSync(join(tmpdir(), 'radfed-dashboard-replicas-'));
    dir = join(root, 'hub');
    await initHub({ dir, name: 'replicated hub' });
    writeStoreChoice(dir, { database: await server.createDatabase('dashboard_replicas') });
    // The accounts file of a hub made before accounts moved into the database.
    const account = {
      user: 'coordinator',
      scrypt: await hashPassword(PASSWORD, TEST_SCRYPT_COST),
      changedAt: new Date().toISOString(),
    };
    writeFileSync(join(dir, 'coordinators.json'), JSON.stringify({ format: 1, accounts: [account] }), {
      mode: 0o600,
    });
    for (let i = 0; i < 2; i++) {
      replicas.push(
        await startHub({
          dir,
          port: 0,
          logger: false,
          now: () => Date.now() + offset,
          proxyFrom: [BALANCER_ADDRESS],
          dashboard: {
            sessions: { idleMs: IDLE_MS, absoluteMs: ABSOLUTE_MS },
            limiter: { perAddress: 3, perAccount: 100, windowMs: 5 * 60_000 },
          },
        }),
      );
    }
    [one, other] = replicas as [RunningHub, RunningHub];
  });

  afterAll(async () => {
    for (const hub of replicas) await hub.close();
    await server?.stop();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('moved the older folder’s coordinators.json into the database at the first start, once', async () => {
    expect(existsSync(join(dir, 'coordinators.json'))).toBe(false);
    expect(existsSync(join(dir, 'coordinators.json.imported'))).toBe(true);
    expect((await listCoordinators(dir)).map((account) => account.user)).toEqual(['coordinator']);
  });

  it('a session made through one replica serves pages and a CSRF-checked POST through the other', async () => {
    const browser = clientOf(one);
    expect((await browser.login('coordinator', PASSWORD)).status).toBe(303);
    const elsewhere = sameBrowserAt(other, browser);
    const home = await elsewhere.get('/dashboard/');
    expect(home.status).toBe(200);
    expect(home.text).toContain('Signed in as<strong>coordinator</strong>');
    const csrf = hiddenField(home.text, 'csrf');
    expect(csrf).toBe(await browser.csrf());

    const form = { siteName: 'Dogwood Hospital', expires: '7d', hubUrl: other.url };
    expect((await elsewhere.post('/dashboard/tokens', form)).status).toBe(403);
    const made = await elsewhere.post('/dashboard/tokens', { ...form, csrf });
    expect(made.status).toBe(303);
    expect(made.headers.location).toBe('/dashboard/tokens');
    // The new token's secret, left by one replica for the next page, is shown once by the other.
    const shown = (await browser.get('/dashboard/tokens')).text;
    const token = /<textarea id="new-token"[^>]*>([^<]+)<\/textarea>/.exec(shown)?.[1];
    expect(token).toBeDefined();
    expect(shown).toContain('the site<strong>Dogwood Hospital</strong>');
    expect((await elsewhere.get('/dashboard/tokens')).text).not.toContain('new-token');
  });

  it.skipIf(!existsSync(HAPROXY))(
    'behind a round-robin HAProxy, one sign-in serves every page, whichever replica answers',
    async () => {
      const haproxy = await startHaproxy(
        [
          { name: 'one', port: one.port },
          { name: 'other', port: other.port },
        ],
        { healthPath: '/v1/hub/health' },
      );
      try {
        const browser = new DashboardClient(`https://127.0.0.1:${haproxy.port}`, one.ctx.keys.caCertPem);
        expect((await browser.login('coordinator', PASSWORD)).status).toBe(303);
        const before = await haproxy.replicas();
        // A new connection for each request, so the balancer hands them out in turn.
        const close = { connection: 'close' };
        for (let i = 0; i < 6; i++) expect((await browser.get('/dashboard/tasks', close)).status).toBe(200);
        const csrf = hiddenField((await browser.get('/dashboard/', close)).text, 'csrf');
        const out = await browser.post('/dashboard/logout', { csrf }, close);
        expect(out.headers.location).toBe('/dashboard/login?reason=signed-out');
        const after = await haproxy.replicas();
        for (const replica of after) {
          const earlier = before.find((state) => state.name === replica.name)?.connections ?? 0;
          expect(replica.connections - earlier).toBeGreaterThanOrEqual(3);
        }
      } finally {
        await haproxy.stop();
      }
    },
  );

  it('signing out through one replica ends the session on the other', async () => {
    const browser = clientOf(one);
    await browser.login('coordinator', PASSWORD);
    const elsewhere = sameBrowserAt(other, browser);
    expect((await elsewhere.get('/dashboard/')).status).toBe(200);
    const out = await elsewhere.post('/dashboard/logout', { csrf: await elsewhere.csrf() });
    expect(out.headers.location).toBe('/dashboard/login?reason=signed-out');
    const after = await browser.get('/dashboard/');
    expect(after.status).toBe(303);
    expect(after.headers.location).toBe('/dashboard/login');
  });

  it('ends a session after the idle time, and after the absolute time however busy, on either replica', async () => {
    const idle = clientOf(one);
    await idle.login('coordinator', PASSWORD);
    offset += IDLE_MS + 1000;
    expect((await sameBrowserAt(other, idle).get('/dashboard/')).headers.location).toBe(
      '/dashboard/login?reason=expired',
    );

    const busy = clientOf(one);
    await busy.login('coordinator', PASSWORD);
    const elsewhere = sameBrowserAt(other, busy);
    // Used through the other replica every half idle time: kept alive there, and here too.
    for (let spent = 0; spent + IDLE_MS / 2 < ABSOLUTE_MS; spent += IDLE_MS / 2) {
      offset += IDLE_MS / 2;
      expect((await (spent % IDLE_MS === 0 ? elsewhere : busy).get('/dashboard/')).status).toBe(200);
    }
    offset += IDLE_MS / 2 + 1000;
    expect((await busy.get('/dashboard/')).headers.location).toBe('/dashboard/login?reason=expired');
  });

  it('a password changed on the hub machine ends the sessions on both replicas', async () => {
    const first = clientOf(one);
    await first.login('coordinator', PASSWORD);
    const second = clientOf(other);
    await second.login('coordinator', PASSWORD);
    await setCoordinatorPassword(dir, 'coordinator', PASSWORD, { cost: TEST_SCRYPT_COST });
    for (const client of [first, second]) {
      expect((await client.get('/dashboard/')).headers.location).toBe(
        '/dashboard/login?reason=password-changed',
      );
      expect(client.cookies.has(SESSION_COOKIE)).toBe(false);
    }
  });

  it('counts failed sign-ins from one address across replicas against one limit', async () => {
    // 127.0.0.1 is every client here: three failures, spread over the two replicas, reach its limit.
    for (const hub of [one, other, one]) {
      expect((await clientOf(hub).login('coordinator', 'not the password at all')).status).toBe(401);
    }
    const refused = await clientOf(other).login('coordinator', PASSWORD);
    expect(refused.status).toBe(429);
    offset += 5 * 60_000 + 1000;
    expect((await clientOf(other).login('coordinator', PASSWORD)).status).toBe(303);
  });
});
