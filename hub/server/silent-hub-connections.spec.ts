// A stranger's connection that finishes its TLS handshake and then says nothing is closed (it was kept
// for good, so connections opened one after another could use up the hub's file descriptors), while a
// site that sends its request is served and its keep-alive connection is not cut by this timer.
import { connect, type TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestHub, type TestHub } from '../testing/test-hub.ts';

let test: TestHub;

beforeAll(async () => {
  test = await makeTestHub({ firstRequestMs: 300 });
});
afterAll(() => test.cleanup());

function handshake(): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port: test.hub.port, rejectUnauthorized: false }, () =>
      resolve(socket),
    );
    socket.once('error', reject);
  });
}

/** Whether the hub closes the connection before `withinMs` (generous: the hub waits 300 ms). */
function closedWithin(socket: TLSSocket, withinMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), withinMs);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('a connection after its TLS handshake', () => {
  it('is closed when it sends no request', async () => {
    const socket = await handshake();
    socket.on('error', () => undefined);
    expect(await closedWithin(socket, 10_000)).toBe(true);
  });

  it('is closed when its request head never ends', async () => {
    const socket = await handshake();
    socket.on('error', () => undefined);
    socket.write('GET /v1/hub HTTP/1.1\r\nHost: hub\r\n');
    expect(await closedWithin(socket, 10_000)).toBe(true);
  });

  it('is served when it sends its request, and kept open past the timer afterwards', async () => {
    const socket = await handshake();
    const answer: Buffer[] = [];
    socket.on('data', (part: Buffer) => answer.push(part));
    socket.write('GET /v1/hub HTTP/1.1\r\nHost: hub\r\n\r\n');
    await pause(1000); // past the 300 ms a silent connection gets
    expect(Buffer.concat(answer).toString('latin1')).toMatch(/^HTTP\/1\.1 200 /);
    expect(socket.destroyed).toBe(false);
    socket.destroy();
  });
});
