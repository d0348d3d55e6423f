// A site with valid credentials sends finite but absurd values at the cut (a hostile site, or one whose
// training diverged), on a real hub over TLS with a real trunk (resnet-small-gn, Adam): the step is
// refused with a sentence, the trunk and its optimizer state stay finite, and the next site's step is
// answered. Before these fixes a refused gradient left its step open in the trunk, so every other site
// was refused 'trunk-busy' until the hub restarted; a gradient of 1e20 was applied and left Adam's
// second moments infinite (those tensors never moved again).
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../main/site/train/backend/index.ts';
import { createModel } from '../../main/site/train/models/index.ts';
import { adamOptimizer, HubTrunk } from '../../main/site/train/split/index.ts';
import { decodeCutFrame, encodeCutFrame } from '../../shared/federation/split/index.ts';
import type { SiteEnrollment } from '../../shared/node/federation/index.ts';
import { decodeTrunkState, SplitConnection } from '../../shared/node/split/index.ts';
import { enrollTestSite, makeTestHub, type TestHub } from '../testing/test-hub.ts';
import { SPLIT_TEST_MODEL } from './testing/split-test-site.ts';

const TASK = 'split-hostile-values';
/** Activations at cut 1 of the test model: 32 channels at 4 × 4 per image. */
const CUT1 = [4, 4, 32];
let testHub: TestHub;
let hostile: SiteEnrollment;
let honest: SiteEnrollment;
let trunk: HubTrunk;

beforeAll(async () => {
  await selectBackend({ choice: 'wasm' });
  testHub = await makeTestHub({ split: { maxSessions: 8, maxBatch: 8 } });
  hostile = (await enrollTestSite(testHub.hub, 'hostile')).enrollment;
  honest = (await enrollTestSite(testHub.hub, 'honest')).enrollment;
  const { architecture, config } = SPLIT_TEST_MODEL;
  trunk = new HubTrunk(createModel(architecture, config), { optimizer: adamOptimizer(0.01) });
  await testHub.hub.split.serveTrunk(TASK, trunk);
}, 60_000);

afterAll(async () => {
  await testHub?.cleanup();
});

interface Session {
  readonly id: string;
  readonly connection: SplitConnection;
}

async function open(site: SiteEnrollment): Promise<Session> {
  const id = randomBytes(16).toString('hex');
  const connection = await SplitConnection.open({
    hubUrl: site.hubUrl,
    caPem: site.caPem,
    siteId: site.siteId,
    signingPrivateKeyPem: site.signingPrivateKeyPem,
    taskId: TASK,
    session: id,
  });
  return { id, connection };
}

/** Step 0's activations up; the trunk's output (its shape) back. */
async function forward(session: Session): Promise<readonly number[]> {
  const values = Float32Array.from({ length: 2 * 512 }, (_, i) => Math.sin(i));
  const frame = encodeCutFrame(
    {
      kind: 'cut1-activations',
      session: session.id,
      step: 0,
      batch: 0,
      shape: [2, ...CUT1],
      dtype: 'float32',
    },
    values,
  );
  return decodeCutFrame(await session.connection.exchange(frame)).header.shape;
}

/** Step 0's gradient at cut 2, every value `scale` times a ramp. */
function gradient(session: Session, shape: readonly number[], scale: number): Promise<Uint8Array> {
  const count = shape.reduce((a, b) => a * b, 1);
  const values = Float32Array.from({ length: count }, (_, i) => Math.sin(i + 1) * scale);
  const frame = encodeCutFrame(
    { kind: 'cut2-gradient', session: session.id, step: 0, batch: 0, shape: [...shape], dtype: 'float32' },
    values,
  );
  return session.connection.exchange(frame);
}

/** The names of the trunk's tensors (weights and Adam's moments) holding a value that is not finite. */
async function nonFiniteTensors(): Promise<string[]> {
  const state = decodeTrunkState(await trunk.checkpoint());
  return state.tensors.filter((t) => !t.values.every(Number.isFinite)).map((t) => t.name);
}

/** An honest site's whole step is answered: the trunk is free for it. */
async function honestStepAnswered(): Promise<void> {
  const session = await open(honest);
  const shape = await forward(session);
  const answer = decodeCutFrame(await gradient(session, shape, 1e-3));
  expect(answer.header.kind).toBe('cut1-gradient');
  session.connection.close();
}

describe('a site that sends absurd values at the cut', () => {
  it('is refused for a gradient the trunk overflows on, and the next site\u2019s step is answered', async () => {
    const session = await open(hostile);
    const shape = await forward(session);
    // 3e38 is a finite float32; the gradient at cut 1 it makes is not.
    await expect(gradient(session, shape, 3e38)).rejects.toMatchObject({
      code: 'not-finite',
      message: expect.stringMatching(/not a finite number.*start the session again/),
    });
    // The hostile site keeps its connection open: its refused step must not hold the trunk.
    await honestStepAnswered();
    expect(await nonFiniteTensors()).toEqual([]);
    session.connection.close();
  }, 60_000);

  it('is refused for a gradient whose square overflows, and Adam\u2019s state stays finite', async () => {
    const session = await open(hostile);
    const shape = await forward(session);
    // Finite everywhere, the gradient at cut 1 too: only the weight gradients' squares overflow.
    await expect(gradient(session, shape, 1e20)).rejects.toMatchObject({
      code: 'not-finite',
      message: expect.stringMatching(/weight gradients overflow.*not applied.*start the session again/),
    });
    expect(await nonFiniteTensors()).toEqual([]);
    await honestStepAnswered();
    session.connection.close();
  }, 60_000);
});
