import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHub, type RunningHub } from '../server/start-hub.ts';
import { hubLayout, initHub } from '../setup/index.ts';
import { BALANCER_ADDRESS, startHaproxy, type RunningHaproxy } from './haproxy-server.ts';

let root: string;
let replicas: RunningHub[];
let haproxy: RunningHaproxy;
let caCertPem: string;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'radfed-haproxy-spec-'));
  // Two replicas of one hub: the second folder is a copy of the first, as IT would copy it to a second machine.
  const first = join(root, 'replica-1');
  await initHub({ dir: first, name: 'replicated hub' });
  const second = join(root, 'replica-2');
  cpSync(first, second, { recursive: true });
  caCertPem = readFileSync(hubLayout(first).caCert, 'utf8');
  replicas = await Promise.all(
    [first, second].map((dir) =>
      startHub({ dir, port: 0, logger: false, tickMs: 1000, proxyFrom: [BALANCER_ADDRESS] }),
    ),
  );
  haproxy = await startHaproxy(
    replicas.map((replica, index) => ({ name: `r${index + 1}`, port: replica.port })),
  );
});
afterAll(async () => {
  await haproxy.stop();
  await Promise.all(replicas.map((replica) => replica.close().catch(() => undefined)));
  rmSync(root, { recursive: true, force: true });
});

/** GET /v1/hub through HAProxy on a new connection, trusting only the hub's CA (as a site pins it). */
function hubInfoThroughBalancer(): Promise<{ status: number; signingKeyFingerprint: string }> {
  return new Promise((resolve, reject) => {
    const sent = request(
      { host: '127.0.0.1', port: haproxy.port, path: '/v1/hub', ca: caCertPem, agent: false },
      (response) => {
        let body = '';
        response.on('data', (part: Buffer) => (body += part.toString()));
        response.on('end', () => {
          const info = JSON.parse(body) as { signingKeyFingerprint: string };
          resolve({ status: response.statusCode ?? 0, signingKeyFingerprint: info.signingKeyFingerprint });
        });
      },
    );
    sent.once('error', reject);
    sent.end();
  });
}

async function until(check: () => Promise<boolean>): Promise<void> {
  for (let attempt = 0; attempt < 600; attempt += 1) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('HAProxy never reached the expected state');
}

async function connectionsOf(): Promise<Record<string, number>> {
  return Object.fromEntries((await haproxy.replicas()).map((replica) => [replica.name, replica.connections]));
}

describe('HAProxy in front of two hub replicas', () => {
  it('checks each replica on /v1/hub, shares connections round robin, and stops sending to a replica that stops', async () => {
    await until(async () => (await haproxy.replicas()).every((replica) => replica.status === 'UP'));

    const before = await connectionsOf();
    const answers = [];
    for (let index = 0; index < 4; index += 1) answers.push(await hubInfoThroughBalancer());
    // Both replicas answer as the same hub: TLS passed through to a certificate from the pinned CA.
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 200]);
    expect(new Set(answers.map((answer) => answer.signingKeyFingerprint)).size).toBe(1);
    const shared = await connectionsOf();
    expect((shared['r1'] ?? 0) - (before['r1'] ?? 0)).toBe(2);
    expect((shared['r2'] ?? 0) - (before['r2'] ?? 0)).toBe(2);

    await replicas[0]?.close();
    await until(
      async () => (await haproxy.replicas()).find((replica) => replica.name === 'r1')?.status === 'DOWN',
    );
    for (let index = 0; index < 4; index += 1) expect((await hubInfoThroughBalancer()).status).toBe(200);
    const after = await connectionsOf();
    expect(after['r1']).toBe(shared['r1']);
    expect((after['r2'] ?? 0) - (shared['r2'] ?? 0)).toBe(4);
  });
});
