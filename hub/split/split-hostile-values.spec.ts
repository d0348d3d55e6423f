// A site with valid credentials sends finite but absurd values at the cut (a hostile site, or one whose
// training diverged), on a real hub over TLS with a real trunk (resnet-small-gn, Adam): the step is
// refused with a sentence, the trunk and its optimizer state stay finite, and the next site's step is
// answered. Before these fixes a refused gradient left its step open in the trunk, so every other site
// was refused 'trunk-busy' until the hub restarted; a gradient of 1e20 was applied and left Adam's
// second moments infinite (those tensors never moved again).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HubTrunk } from '../../main/site/train/split/index.ts';
import { decodeCutFrame } from '../../shared/federation/split/index.ts';
import type { SiteEnrollment } from '../../shared/node/federation/index.ts';
import { decodeTrunkState } from '../../shared/node/split/index.ts';
import type { TestHub } from '../testing/test-hub.ts';
import { openSplitSession, stepActivations, stepGradient } from './testing/split-raw-steps.ts';
import { newSplitSession } from './testing/split-session-refusal.ts';
import { startSplitTestHub } from './testing/split-test-hub.ts';

const TASK = 'split-hostile-values';
let testHub: TestHub;
let hostile: SiteEnrollment;
let honest: SiteEnrollment;
let trunk: HubTrunk;

beforeAll(async () => {
  ({
    testHub,
    sites: [hostile, honest],
    trunk,
  } = await startSplitTestHub(TASK, ['hostile', 'honest'], { maxSessions: 8, maxBatch: 8 }));
}, 60_000);

afterAll(async () => {
  await testHub?.cleanup();
});

/** A session whose step 0's activations went up and were answered. */
async function forwarded(site: SiteEnrollment) {
  const session = newSplitSession();
  const connection = await openSplitSession(site, TASK, session);
  await connection.exchange(stepActivations(session));
  return { session, connection };
}

/** The names of the trunk's tensors (weights and Adam's moments) holding a value that is not finite. */
async function nonFiniteTensors(): Promise<string[]> {
  const state = decodeTrunkState(await trunk.checkpoint());
  return state.tensors.filter((t) => !t.values.every(Number.isFinite)).map((t) => t.name);
}

/** An honest site's whole step is answered: the trunk is free for it. */
async function honestStepAnswered(): Promise<void> {
  const { session, connection } = await forwarded(honest);
  const answer = decodeCutFrame(await connection.exchange(stepGradient(session, 1e-3)));
  expect(answer.header.kind).toBe('cut1-gradient');
  connection.close();
}

describe('a site that sends absurd values at the cut', () => {
  it('is refused for a gradient the trunk overflows on, and the next site\u2019s step is answered', async () => {
    const { session, connection } = await forwarded(hostile);
    // 3e38 is a finite float32; the gradient at cut 1 it makes is not.
    await expect(connection.exchange(stepGradient(session, 3e38))).rejects.toMatchObject({
      code: 'not-finite',
      message: expect.stringMatching(/not a finite number.*start the session again/),
    });
    // The hostile site keeps its connection open: its refused step must not hold the trunk.
    await honestStepAnswered();
    expect(await nonFiniteTensors()).toEqual([]);
    connection.close();
  }, 60_000);

  it('is refused for a gradient whose square overflows, and Adam\u2019s state stays finite', async () => {
    const { session, connection } = await forwarded(hostile);
    // Finite everywhere, the gradient at cut 1 too: only the weight gradients' squares overflow.
    await expect(connection.exchange(stepGradient(session, 1e20))).rejects.toMatchObject({
      code: 'not-finite',
      message: expect.stringMatching(/weight gradients overflow.*not applied.*start the session again/),
    });
    expect(await nonFiniteTensors()).toEqual([]);
    await honestStepAnswered();
    connection.close();
  }, 60_000);
});
