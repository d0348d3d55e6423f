// The door both the peer server and the relay stand behind, under a network neighbour with no key: a
// TCP connection that never finishes its TLS handshake is closed (and does not hold up the server's
// close), and one address's flood of connections is cut at its share, so a member from another address
// is still served. Real sockets on loopback (127.0.0.1 and 127.0.0.2), real TLS 1.3.
import { generateKeyPairSync } from 'node:crypto';
import { request } from 'node:https';
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { MutualTlsServer, type MutualTlsLimits } from './mutual-tls-server.ts';
import { makePeerCertificate } from './peer-certificate.ts';

let server: MutualTlsServer | null = null;
const sockets: Socket[] = [];
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await server?.close();
  server = null;
});

async function start(limits: Partial<MutualTlsLimits>): Promise<number> {
  const certificate = await makePeerCertificate(generateKeyPairSync('ed25519').privateKey, { name: 'Door' });
  server = new MutualTlsServer(
    certificate,
    (_req, res) => {
      res.end('served');
      return Promise.resolve();
    },
    { requestTimeoutMs: 60_000, ...limits },
  );
  return server.listen(0, '0.0.0.0');
}

/** A TCP connection from `localAddress` that sends `bytes` (nothing: a handshake never begun) and waits. */
function halfOpen(port: number, bytes = Buffer.alloc(0), localAddress = '127.0.0.1'): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, localAddress }, () => {
      if (bytes.length > 0) socket.write(bytes);
      resolve(socket);
    });
    socket.on('error', reject);
    sockets.push(socket);
  });
}

/** Whether the server closed `socket` within `ms` (generous: the limits under test are far shorter). */
function closedWithin(socket: Socket, ms: number): Promise<boolean> {
  if (socket.destroyed || socket.readableEnded) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    const done = () => {
      clearTimeout(timer);
      resolve(true);
    };
    socket.once('close', done);
    socket.once('end', done);
  });
}

/** One request over mutual TLS from `localAddress`, with a member-style certificate: its answer. */
async function served(port: number, localAddress: string): Promise<string> {
  const certificate = await makePeerCertificate(generateKeyPairSync('ed25519').privateKey, {
    name: 'Member',
  });
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        localAddress,
        path: '/',
        rejectUnauthorized: false,
        agent: false,
        cert: certificate.certPem,
        key: certificate.keyPem,
      },
      (res) => {
        let text = '';
        res.on('data', (part: Buffer) => (text += part.toString()));
        res.on('end', () => resolve(text));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('the mutual-TLS door of the peer server and the relay', () => {
  it('closes a connection whose TLS handshake never begins or never ends, and closes with one pending', async () => {
    const port = await start({ handshakeTimeoutMs: 500 });
    const silent = await halfOpen(port);
    // The first bytes of a TLS record header (a ClientHello that never comes whole).
    const dripping = await halfOpen(port, Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00]));
    expect(await closedWithin(silent, 20_000)).toBe(true);
    expect(await closedWithin(dripping, 20_000)).toBe(true);
    // A handshake still pending does not hold up the server's close.
    const pending = await halfOpen(port);
    const stopped = server!.close().then(() => true);
    server = null;
    expect(await Promise.race([stopped, new Promise((r) => setTimeout(() => r(false), 20_000))])).toBe(true);
    expect(await closedWithin(pending, 5_000)).toBe(true);
  }, 60_000);

  it('cuts one address\u2019s flood of connections at its share; another address is still served', async () => {
    const port = await start({ maxConnectionsPerAddress: 8, maxConnections: 16, handshakeTimeoutMs: 60_000 });
    const flood = await Promise.all(Array.from({ length: 16 }, () => halfOpen(port)));
    const closed = await Promise.all(flood.map((socket) => closedWithin(socket, 5_000)));
    expect(closed.filter(Boolean).length).toBe(8);
    // Without the share, the flood would hold all 16 places and this member would be turned away.
    expect(await served(port, '127.0.0.2')).toBe('served');
  }, 60_000);
});
