// The split-learning WebSocket door checks the site's protocol version like every /v1 route, on a real
// hub over TLS: an enrolled site of an older protocol is refused with 426 and the hub's sentence; a
// stranger still learns nothing but 401 there.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { PROTOCOL_HEADER, PROTOCOL_VERSION } from '../../shared/federation/index.ts';
import { splitSessionPath } from '../../shared/federation/split/index.ts';
import type { SiteEnrollment } from '../../shared/node/federation/index.ts';
import type { TestHub } from '../testing/test-hub.ts';
import { newSplitSession, signedUpgradeHeaders } from './testing/split-session-refusal.ts';
import { startSplitTestHub } from './testing/split-test-hub.ts';

const TASK = 'split-version';
let testHub: TestHub;
let north: SiteEnrollment;

beforeAll(async () => {
  ({
    testHub,
    sites: [north],
  } = await startSplitTestHub(TASK, ['north']));
}, 60_000);
afterAll(async () => {
  await testHub?.cleanup();
});

/** An upgrade with these headers: its status and body, or 101 when the session opened. */
function upgrade(path: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  const socket = new WebSocket(new URL(path, north.hubUrl.replace(/^https/, 'wss')), {
    ca: north.caPem,
    headers,
  });
  return new Promise((resolve) => {
    socket.once('open', () => {
      socket.terminate();
      resolve({ status: 101, body: '' });
    });
    socket.once('unexpected-response', (_request, response) => {
      const parts: Buffer[] = [];
      response.on('data', (part: Buffer) => parts.push(part));
      response.on('end', () => {
        resolve({ status: response.statusCode ?? 0, body: Buffer.concat(parts).toString('utf8') });
        socket.terminate();
      });
    });
    socket.once('error', () => undefined);
  });
}

describe('the split-learning door and the protocol version', () => {
  it('refuses an enrolled site of an older protocol with 426 and the sentence, a stranger with 401', async () => {
    const path = splitSessionPath(TASK, newSplitSession());
    const old = { ...signedUpgradeHeaders(north, path), [PROTOCOL_HEADER]: String(PROTOCOL_VERSION - 1) };
    const answer = await upgrade(path, old);
    expect(answer.status).toBe(426);
    expect(answer.body).toContain('This site runs an older RadFed than the hub');
    const stranger = await upgrade(path, { [PROTOCOL_HEADER]: '1' });
    expect(stranger.status).toBe(401);
  });
});
