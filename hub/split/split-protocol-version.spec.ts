// The split-learning WebSocket door checks the site's protocol version like every /v1 route, on a real
// hub over TLS: an enrolled site of an older protocol is refused with 426 and the hub's sentence; a
// stranger still learns nothing but 401 there.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROTOCOL_HEADER, PROTOCOL_VERSION } from '../../shared/federation/index.ts';
import { splitSessionPath } from '../../shared/federation/split/index.ts';
import type { SiteEnrollment } from '../../shared/node/federation/index.ts';
import type { TestHub } from '../testing/test-hub.ts';
import { newSplitSession, signedUpgradeHeaders, upgradeAnswer } from './testing/split-session-refusal.ts';
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
const upgrade = (path: string, headers: Record<string, string>) => upgradeAnswer(north, path, headers);

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
