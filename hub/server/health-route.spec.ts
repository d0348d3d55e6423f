// GET /v1/hub/health, the load balancer's check: 200 while the replica's database answers, 503 (and
// nothing more) while PostgreSQL is down, 200 again once it is back; on SQLite it answers 200.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hubLayout, initHub } from '../setup/index.ts';
import { startPostgresServer, type PostgresServer } from '../testing/postgres-server.ts';
import { startHub, type RunningHub } from './start-hub.ts';
import { HEALTH_PATH } from './health-route.ts';

let server: PostgresServer;
let root: string;

beforeAll(async () => {
  server = await startPostgresServer();
  root = mkdtempSync(join(tmpdir(), 'radfed-health-'));
}, 120_000);
afterAll(async () => {
  await server?.stop();
  rmSync(root, { recursive: true, force: true });
});

function health(hub: RunningHub, caPem: string): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const sent = request(`${hub.url}${HEALTH_PATH}`, { ca: caPem, agent: false }, (response) => {
      let body = '';
      response.on('data', (part: Buffer) => (body += part.toString()));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: JSON.parse(body) }));
    });
    sent.once('error', reject);
    sent.end();
  });
}

describe('GET /v1/hub/health', () => {
  it('follows the database: 503 while PostgreSQL is down, 200 once it is back', async () => {
    const dir = join(root, 'pg');
    await initHub({ dir });
    const database = await server.createDatabase('health');
    const hub = await startHub({ dir, port: 0, logger: false, store: { database } });
    const ca = readFileSync(hubLayout(dir).caCert, 'utf8');
    try {
      expect(await health(hub, ca)).toEqual({ status: 200, body: { ok: true, engine: 'postgres' } });
      await server.pause();
      expect(await health(hub, ca)).toEqual({ status: 503, body: { ok: false, database: 'unreachable' } });
      await server.startAgain();
      expect(await health(hub, ca)).toEqual({ status: 200, body: { ok: true, engine: 'postgres' } });
    } finally {
      await hub.close();
    }
  }, 60_000);

  it('answers 200 on a SQLite hub', async () => {
    const dir = join(root, 'sqlite');
    await initHub({ dir });
    const hub = await startHub({ dir, port: 0, logger: false });
    try {
      const ca = readFileSync(hubLayout(dir).caCert, 'utf8');
      expect(await health(hub, ca)).toEqual({ status: 200, body: { ok: true, engine: 'sqlite' } });
    } finally {
      await hub.close();
    }
  });
});
