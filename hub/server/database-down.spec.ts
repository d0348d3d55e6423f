// A replica whose PostgreSQL goes down, with real requests: a site's signed call and the dashboard's
// sign-in page are answered 503 with a wait, in words that do not name the database's host and port
// (the store's sentence for the operator went out to anyone: the check of a request's signature is
// itself a query), and the replica serves again once the database is back.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { hubPaths } from '../../shared/federation/index.ts';
import { enrollSite, loadPrivateKey, signRequest } from '../../shared/node/federation/index.ts';
import { DASHBOARD_PREFIX } from '../dashboard/index.ts';
import { hubLayout, initHub } from '../setup/index.ts';
import { startPostgresServer, type PostgresServer } from '../testing/postgres-server.ts';
import { startHub } from './start-hub.ts';

let server: PostgresServer;
let root: string;

beforeAll(async () => {
  server = await startPostgresServer();
  root = mkdtempSync(join(tmpdir(), 'radfed-db-down-'));
}, 120_000);
afterAll(async () => {
  await server?.stop();
  rmSync(root, { recursive: true, force: true });
});

function get(url: string, caPem: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; retryAfter?: string; body: string }>((resolve, reject) => {
    const sent = request(url, { ca: caPem, agent: false, headers }, (response) => {
      let body = '';
      response.on('data', (part: Buffer) => (body += part.toString()));
      response.on('end', () =>
        resolve({
          status: response.statusCode ?? 0,
          ...(response.headers['retry-after'] ? { retryAfter: response.headers['retry-after'] } : {}),
          body,
        }),
      );
    });
    sent.once('error', reject);
    sent.end();
  });
}

it('answers 503 in plain words without the database’s address while PostgreSQL is down, and serves once it is back', async () => {
  const dir = join(root, 'hub');
  await initHub({ dir });
  const database = await server.createDatabase('db_down');
  const where = `${new URL(database).hostname}:${new URL(database).port}`;
  const hub = await startHub({ dir, port: 0, logger: false, store: { database } });
  const ca = readFileSync(hubLayout(dir).caCert, 'utf8');
  try {
    const site = await enrollSite({ token: (await hub.createToken()).token, siteName: 'DB down' });
    const signedTasks = () =>
      get(
        `${hub.url}${hubPaths.tasks}`,
        ca,
        signRequest({
          method: 'GET',
          path: hubPaths.tasks,
          siteId: site.siteId,
          privateKey: loadPrivateKey(site.signingPrivateKeyPem),
        }),
      );
    const loginPage = () => get(`${hub.url}${DASHBOARD_PREFIX}/login`, ca);
    expect((await signedTasks()).status).toBe(200);
    expect((await loginPage()).status).toBe(200);

    await server.pause();
    for (const answer of [await signedTasks(), await loginPage()]) {
      expect(answer.status).toBe(503);
      expect(answer.retryAfter).toBe('5');
      expect(answer.body).toContain('cannot reach its database just now');
      expect(answer.body).not.toContain(where);
      expect(answer.body).not.toContain('PostgreSQL');
    }

    await server.startAgain();
    expect((await signedTasks()).status).toBe(200);
    expect((await loginPage()).status).toBe(200);
  } finally {
    await hub.close();
  }
}, 90_000);
