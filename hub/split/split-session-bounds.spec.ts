// What the hub's split-learning endpoint refuses, on a real hub over TLS: an upgrade that is unsigned,
// replayed or for another site's session; more sessions than the cap; a message that announces 2 GB
// (refused from its length, before it is held); garbage, text, too many images in one frame.
import { randomBytes } from 'node:crypto';
import { connect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { splitSessionPath } from '../../shared/federation/split/index.ts';
import type { SiteEnrollment } from '../../shared/node/federation/index.ts';
import type { TestHub } from '../testing/test-hub.ts';
import { openSplitSession, stepActivations } from './testing/split-raw-steps.ts';
import {
  newSplitSession,
  rawSplitSocket,
  signedUpgradeHeaders,
  upgradeAnswer,
} from './testing/split-session-refusal.ts';
import { startSplitTestHub } from './testing/split-test-hub.ts';

const TASK = 'split-bounds';
const MAX_SESSIONS = 3;
const MAX_BATCH = 8;
let testHub: TestHub;
let north: SiteEnrollment;
let south: SiteEnrollment;

beforeAll(async () => {
  ({
    testHub,
    sites: [north, south],
  } = await startSplitTestHub(TASK, ['north', 'south'], { maxSessions: MAX_SESSIONS, maxBatch: MAX_BATCH }));
}, 60_000);

afterAll(async () => {
  await testHub?.cleanup();
});

const open = (site: SiteEnrollment, session = newSplitSession()) => openSplitSession(site, TASK, session);

/** A WebSocket upgrade with the given headers: the HTTP status it is refused with, or 101. */
const upgradeStatus = async (path: string, headers: Record<string, string>): Promise<number> =>
  (await upgradeAnswer(north, path, headers)).status;

/** Activations at cut 1 for `images` images of the test model, in float16. */
const activations = (session: string, images: number) => stepActivations(session, images, 'float16');

describe('the split-learning endpoint', () => {
  it('refuses an unsigned upgrade, a replayed one and another site’s session', async () => {
    const session = newSplitSession();
    const path = splitSessionPath(TASK, session);
    expect(await upgradeStatus(path, {})).toBe(401);
    const headers = signedUpgradeHeaders(north, path);
    expect(await upgradeStatus(path, headers)).toBe(101);
    expect(await upgradeStatus(path, headers)).toBe(401); // the same nonce again
    expect(await upgradeStatus(path, signedUpgradeHeaders(south, path))).toBe(403);
    await expect(openSplitSession(north, 'no-such-task')).rejects.toMatchObject({ code: 'no-split-trunk' });
  });

  it(`opens at most ${MAX_SESSIONS} sessions at once`, async () => {
    const connections = [];
    for (let i = 0; i < MAX_SESSIONS; i++) connections.push(await open(north));
    await expect(open(south)).rejects.toMatchObject({ code: 'too-many-sessions', retry: 'again' });
    for (const c of connections) c.close();
  });

  // 2 GB, and 1 MiB: under the WebSocket library's own default bound (100 MiB) but over this trunk's
  // largest frame for MAX_BATCH images in float32 (16 KiB), so only the hub's bound refuses it.
  it.each([
    ['2 GB', 2n ** 31n],
    ['1 MiB', 2n ** 20n],
  ])('refuses a message announcing %s from its length, before holding it (close 1009)', async (_, length) => {
    const session = newSplitSession();
    const path = splitSessionPath(TASK, session);
    const url = new URL(north.hubUrl);
    const rssBefore = process.memoryUsage().rss;
    const socket = connect({
      host: url.hostname,
      port: Number(url.port),
      ca: north.caPem,
      servername: 'localhost',
    });
    const received: Buffer[] = [];
    socket.on('data', (part: Buffer) => received.push(part));
    await new Promise((resolve) => socket.once('secureConnect', resolve));
    const headers = Object.entries(signedUpgradeHeaders(north, path))
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join('');
    socket.write(
      `GET ${path} HTTP/1.1\r\nHost: ${url.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n${headers}\r\n`,
    );
    await until(() => Buffer.concat(received).includes('\r\n\r\n'));
    expect(Buffer.concat(received).toString('latin1')).toMatch(/^HTTP\/1.1 101/);
    const afterHandshake = Buffer.concat(received).length;
    // FIN + binary, masked, a 64-bit length, a mask key; then up to 1 MiB of what it claims.
    const header = Buffer.alloc(14);
    header[0] = 0x82;
    header[1] = 0x80 | 127;
    header.writeBigUInt64BE(length, 2);
    socket.write(header);
    socket.write(Buffer.alloc(1024 * 1024));
    await new Promise((resolve) => socket.once('close', resolve));
    const answer = Buffer.concat(received).subarray(afterHandshake);
    expect(answer[0]).toBe(0x88); // a close frame
    expect(answer.readUInt16BE(2)).toBe(1009); // message too big
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(64 * 1024 * 1024);
  });

  it('answers garbage and an oversized batch with a refusal that says to stop, and keeps the session', async () => {
    const session = newSplitSession();
    const connection = await open(north, session);
    await expect(connection.exchange(randomBytes(200))).rejects.toMatchObject({
      code: 'bad-frame',
      retry: 'never',
    });
    await expect(connection.exchange(activations(session, MAX_BATCH + 1))).rejects.toMatchObject({
      code: 'batch-too-large',
      retry: 'never',
    });
    await expect(connection.exchange(activations(newSplitSession(), 2))).rejects.toMatchObject({
      code: 'wrong-session',
    });
    // Still open: a good frame is answered with the trunk's output.
    expect((await connection.exchange(activations(session, 2))).length).toBeGreaterThan(32);
    connection.close();
  });

  it('closes a session that sends frame after frame without waiting for the answers (1002)', async () => {
    const session = newSplitSession();
    const socket = rawSplitSocket(north, TASK, session);
    await new Promise((resolve) => socket.once('open', resolve));
    const closed = new Promise<number>((resolve) => socket.once('close', resolve));
    for (let i = 0; i < 4; i++) socket.send(activations(session, 2));
    expect(await closed).toBe(1002);
  });

  it('closes a session that sends text (1002)', async () => {
    const socket = rawSplitSocket(north, TASK);
    await new Promise((resolve) => socket.once('open', resolve));
    socket.send('{"hello":"hub"}');
    const code = await new Promise<number>((resolve) => socket.once('close', resolve));
    expect(code).toBe(1002);
  });
});

async function until(check: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
