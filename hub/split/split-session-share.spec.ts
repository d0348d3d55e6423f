// One enrolled site cannot take every split-learning session place at the hub: it holds at most its
// share, is told so in words, and another site still opens its session. Before, a site (hostile, or
// one reconnecting in a loop with new session ids) could open all `maxSessions` and have every other
// site refused 'too-many-sessions'. A real hub over TLS, real signed WebSocket upgrades.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../main/site/train/backend/index.ts';
import { createModel } from '../../main/site/train/models/index.ts';
import { adamOptimizer, HubTrunk } from '../../main/site/train/split/index.ts';
import type { SiteEnrollment } from '../../shared/node/federation/index.ts';
import { SplitConnection } from '../../shared/node/split/index.ts';
import { enrollTestSite, makeTestHub, type TestHub } from '../testing/test-hub.ts';
import { SPLIT_TEST_MODEL } from './testing/split-test-site.ts';

const TASK = 'split-share';
let testHub: TestHub;
let greedy: SiteEnrollment;
let other: SiteEnrollment;

beforeAll(async () => {
  await selectBackend({ choice: 'wasm' });
  testHub = await makeTestHub({ split: { maxSessions: 4, maxSessionsPerSite: 2 } });
  greedy = (await enrollTestSite(testHub.hub, 'greedy')).enrollment;
  other = (await enrollTestSite(testHub.hub, 'other')).enrollment;
  const { architecture, config } = SPLIT_TEST_MODEL;
  const trunk = new HubTrunk(createModel(architecture, config), { optimizer: adamOptimizer(0.01) });
  await testHub.hub.split.serveTrunk(TASK, trunk);
}, 60_000);

afterAll(async () => {
  await testHub?.cleanup();
});

function open(site: SiteEnrollment, session = randomBytes(16).toString('hex')): Promise<SplitConnection> {
  return SplitConnection.open({
    hubUrl: site.hubUrl,
    caPem: site.caPem,
    siteId: site.siteId,
    signingPrivateKeyPem: site.signingPrivateKeyPem,
    taskId: TASK,
    session,
  });
}

describe('split-learning sessions per site', () => {
  it('gives one site at most its share of the places; another site still opens a session', async () => {
    const session = randomBytes(16).toString('hex');
    const held = [await open(greedy, session), await open(greedy)];
    await expect(open(greedy)).rejects.toMatchObject({
      code: 'too-many-site-sessions',
      message: expect.stringMatching(/already has 2 split-learning sessions open.*close a session/),
    });
    // The same session again replaces its connection: not a new place.
    held.push(await open(greedy, session));
    const others = await open(other);
    others.close();
    for (const connection of held) connection.close();
  }, 60_000);
});
