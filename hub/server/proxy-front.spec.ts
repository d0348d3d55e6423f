// A hub behind a real HAProxy (Debian's package) in TCP mode with `send-proxy-v2`: each client's own
// address reaches the routes, so five wrong passwords from one machine do not lock out another (before,
// the sign-in limit saw HAProxy's address for everyone). And on real sockets straight to the hub: a
// header from an address not named is refused, a named address without one is refused, malformed and
// oversized headers are refused without waiting, and the client a header names is what the request log shows.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { connect as connectTcp } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as connectTls } from 'node:tls';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setCoordinatorPassword } from '../dashboard/index.ts';
import { DashboardClient, TEST_SCRYPT_COST } from '../dashboard/testing/dashboard-client.ts';
import { initHub } from '../setup/index.ts';
import { BALANCER_ADDRESS, HAPROXY, startHaproxy, type RunningHaproxy } from '../testing/haproxy-server.ts';
import { startHub, type RunningHub } from './start-hub.ts';
import { ipv4Header, ipv6Header, proxyHeader } from './testing/proxy-headers.ts';

const PASSWORD = 'a long coordinator passphrase';
const HEADER_TIMEOUT_MS = 400;

describe.skipIf(!existsSync(HAPROXY))('the hub behind HAProxy with PROXY protocol v2', () => {
  let root: string;
  let hub: RunningHub;
  let haproxy: RunningHaproxy;
  const logLines: string[] = [];

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'radfed-proxy-front-'));
    const dir = join(root, 'hub');
    await initHub({ dir, name: 'balanced hub' });
    await setCoordinatorPassword(dir, 'coordinator', PASSWORD, { cost: TEST_SCRYPT_COST });
    const logger = pino({ level: 'info' }, { write: (line: string) => void logLines.push(line) });
    hub = await startHub({
      dir,
      port: 0,
      logger,
      tickMs: 1000,
      proxyFrom: [BALANCER_ADDRESS],
      proxyHeaderTimeoutMs: HEADER_TIMEOUT_MS,
    });
    haproxy = await startHaproxy([{ name: 'only', port: hub.port }], { healthPath: '/v1/hub/health' });
  });
  afterAll(async () => {
    await haproxy?.stop();
    await hub?.close();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  /** A browser on the machine at `address`, reaching the hub through HAProxy. */
  const browserAt = (address: string) =>
    new DashboardClient(`https://127.0.0.1:${haproxy.port}`, hub.ctx.keys.caCertPem, address);

  it('counts wrong passwords per client machine: five from one do not lock out another', async () => {
    const close = { connection: 'close' };
    const guesser = browserAt('127.0.0.2');
    for (let i = 0; i < 5; i++) {
      expect((await guesser.login('coordinator', 'not the password at all')).status).toBe(401);
    }
    expect((await guesser.login('coordinator', PASSWORD)).status).toBe(429);
    // The coordinator at another machine, through the same balancer, signs in.
    const coordinator = browserAt('127.0.0.1');
    expect((await coordinator.login('coordinator', PASSWORD)).status).toBe(303);
    expect((await coordinator.get('/dashboard/', close)).status).toBe(200);
    // The request log names the client machines, not the balancer (whose health checks, LOCAL headers,
    // are logged under its own address).
    const dashboardRequests = logLines.filter((line) => line.includes('"url":"/dashboard'));
    const seen = new Set(dashboardRequests.map((line) => /"remoteAddress":"([^"]+)"/.exec(line)?.[1]));
    expect(seen).toContain('127.0.0.2');
    expect(seen).toContain('127.0.0.1');
    expect(seen).not.toContain(BALANCER_ADDRESS);
  });

  /**
   * Connects straight to the hub from `from`, writes `header` (if any) then makes a TLS connection and a
   * GET /v1/hub over it: 'served' with the status, or 'closed' when the hub closed the connection first.
   */
  function straightToHub(from: string, header?: Buffer): Promise<string> {
    return new Promise((resolve) => {
      const tcp = connectTcp({ host: '127.0.0.1', port: hub.port, localAddress: from }, () => {
        if (header) tcp.write(header);
        const tls = connectTls({ socket: tcp, ca: hub.ctx.keys.caCertPem, servername: 'localhost' });
        const sent = request(
          {
            host: '127.0.0.1',
            port: hub.port,
            path: '/v1/hub',
            createConnection: () => tls,
            headers: { connection: 'close' },
          },
          (response) => {
            response.resume();
            resolve(`served ${response.statusCode}`);
          },
        );
        sent.once('error', () => resolve('closed'));
        sent.end();
      });
      tcp.once('error', () => resolve('closed'));
    });
  }

  it('refuses a header from an address not named, and serves that address without one', async () => {
    expect(await straightToHub('127.0.0.2', ipv4Header('10.1.2.3', 40000))).toBe('closed');
    expect(await straightToHub('127.0.0.2')).toBe('served 200');
  });

  it('refuses the named balancer address without a header', async () => {
    expect(await straightToHub(BALANCER_ADDRESS)).toBe('closed');
  });

  it('refuses malformed and oversized headers from the balancer without waiting for more', async () => {
    const oversized = proxyHeader(0x21, 0x11, Buffer.alloc(0));
    oversized.writeUInt16BE(0xffff, 14);
    const wrongVersion = Buffer.from(ipv4Header('10.1.2.3', 1));
    wrongVersion.writeUInt8(0x31, 12);
    const udp = Buffer.from(ipv4Header('10.1.2.3', 1));
    udp.writeUInt8(0x12, 13);
    for (const header of [
      oversized,
      wrongVersion,
      udp,
      Buffer.from('PROXY TCP4 10.1.2.3 127.0.0.1 1 2\r\n'),
    ]) {
      expect(await straightToHub(BALANCER_ADDRESS, header)).toBe('closed');
    }
  });

  it('closes a connection whose header stops half way, after the header timeout', async () => {
    const half = ipv4Header('10.1.2.3', 1).subarray(0, 20);
    const closed = await new Promise<string>((resolve) => {
      const tcp = connectTcp({ host: '127.0.0.1', port: hub.port, localAddress: BALANCER_ADDRESS }, () =>
        tcp.write(half),
      );
      tcp.once('close', () => resolve('closed'));
      tcp.resume();
    });
    expect(closed).toBe('closed');
  });

  it('serves the IPv6 client a header names, and a LOCAL header as the balancer itself', async () => {
    logLines.length = 0;
    const v6 = ipv6Header(Buffer.from('20010db8000000000000000000000007', 'hex'), 51000);
    expect(await straightToHub(BALANCER_ADDRESS, v6)).toBe('served 200');
    expect(await straightToHub(BALANCER_ADDRESS, proxyHeader(0x20, 0x00, Buffer.alloc(0)))).toBe(
      'served 200',
    );
    const seen = logLines.map((line) => /"remoteAddress":"([^"]+)"/.exec(line)?.[1]).filter(Boolean);
    expect(seen).toContain('2001:db8::7');
    expect(seen).toContain(BALANCER_ADDRESS);
  });
});
