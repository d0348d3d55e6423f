// Split learning's sessions live on the hub's own HTTPS port, where anyone on the network can open a
// connection before any signature is checked: one that never finishes its TLS handshake is closed after
// 10 s (Node's default held it 120 s). A real hub on a loopback port, a raw TCP socket.
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enrollTestSite, makeTestHub, type TestHub } from '../testing/test-hub.ts';

let testHub: TestHub;
let port = 0;

beforeAll(async () => {
  testHub = await makeTestHub();
  port = Number(new URL((await enrollTestSite(testHub.hub, 'north')).enrollment.hubUrl).port);
}, 60_000);

afterAll(async () => {
  await testHub?.cleanup();
});

/** Whether the hub closed `socket` within `ms` (far longer than the bound under test). */
function closedWithin(socket: Socket, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

describe('the hub port split sessions use, to a neighbour that never finishes a handshake', () => {
  it('closes a connection whose TLS handshake never begins, or stops after its first bytes', async () => {
    const open = (bytes: Buffer) =>
      new Promise<Socket>((resolve) => {
        const socket = connect({ host: '127.0.0.1', port }, () => {
          if (bytes.length > 0) socket.write(bytes);
          resolve(socket);
        });
        socket.on('error', () => undefined);
      });
    const silent = await open(Buffer.alloc(0));
    const dripping = await open(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00]));
    const [a, b] = await Promise.all([closedWithin(silent, 40_000), closedWithin(dripping, 40_000)]);
    silent.destroy();
    dripping.destroy();
    expect([a, b]).toEqual([true, true]);
  }, 60_000);
});
