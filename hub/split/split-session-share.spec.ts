// One enrolled site cannot take more than its share of the hub's split learning: it holds at most
// `maxSessionsPerSite` sessions open, is told so in words, and another site still opens its session
// (before, one site could open all `maxSessions`); and the trunk remembers only that many of a site's
// past sessions (before, it kept the last answer of every session ever opened, in memory and in the
// checkpoint it rewrites after each step: a site opens a new session every round, and a hostile one
// could open them in a loop). A real hub over TLS, real signed WebSocket upgrades, the real file.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HubTrunk } from '../../main/site/train/split/index.ts';
import { decodeCutFrame } from '../../shared/federation/split/index.ts';
import type { SiteEnrollment } from '../../shared/node/federation/index.ts';
import { decodeTrunkState, type SplitConnection } from '../../shared/node/split/index.ts';
import type { TestHub } from '../testing/test-hub.ts';
import { openSplitSession, stepActivations, stepGradient } from './testing/split-raw-steps.ts';
import { newSplitSession } from './testing/split-session-refusal.ts';
import { startSplitTestHub } from './testing/split-test-hub.ts';
import { readTrunkCheckpoint } from './trunk-checkpoint-file.ts';

const TASK = 'split-share';
let testHub: TestHub;
let greedy: SiteEnrollment;
let other: SiteEnrollment;
let trunk: HubTrunk;

beforeAll(async () => {
  ({
    testHub,
    sites: [greedy, other],
    trunk,
  } = await startSplitTestHub(TASK, ['greedy', 'other'], { maxSessions: 4, maxSessionsPerSite: 2 }));
}, 60_000);

afterAll(async () => {
  await testHub?.cleanup();
});

const open = (site: SiteEnrollment, session = newSplitSession()) => openSplitSession(site, TASK, session);

describe('split-learning sessions per site', () => {
  it('gives one site at most its share of the places; another site still opens a session', async () => {
    const session = newSplitSession();
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

  it('remembers at most its share of a site\u2019s past sessions, in the trunk and its checkpoint', async () => {
    const sessions: string[] = [];
    for (let i = 0; i < 11; i++) {
      const session = newSplitSession();
      sessions.push(session);
      await oneStep(await open(other, session), session);
    }
    const saved = (await readTrunkCheckpoint(testHub.dir, TASK))!;
    const remembered = saved.owners.filter(([, site]) => site === other.siteId).map(([session]) => session);
    // Its latest sessions, the newest (whose last step it may still retry) among them.
    expect(remembered).toEqual(sessions.slice(-2));
    const answers = decodeTrunkState(await trunk.checkpoint()).sessions.map((s) => s.session);
    expect(answers.filter((session) => sessions.includes(session))).toEqual(sessions.slice(-2));
    // The newest session's last step, sent again, still gets its stored answer.
    const newest = sessions.at(-1)!;
    const again = await open(other, newest);
    const answer = decodeCutFrame(await again.exchange(stepGradient(newest, 1e-3)));
    expect(answer.header).toMatchObject({ kind: 'cut1-gradient', session: newest, step: 0 });
    again.close();
  }, 120_000);
});

/** Step 0 of `session` (activations, then the gradient at cut 2), and the connection closed. */
async function oneStep(connection: SplitConnection, session: string): Promise<void> {
  await connection.exchange(stepActivations(session));
  await connection.exchange(stepGradient(session, 1e-3));
  connection.close();
}
