// Two sites' steps on one trunk when the first step's checkpoint write fails while the second site's
// step has already been applied on top of it: the trunk goes back to its last written checkpoint, both
// sites are told to start their step again (the second step's checkpoint holds the undone first step, so
// it is not written), and once both are sent again each is applied once. A real trunk and real sites'
// frames through TrunkSteps; the write is a function the test makes fail (trunk-lifecycle.spec.ts fails
// a real file write through the hub).
import { afterAll, beforeAll, expect, it } from 'vitest';
import { selectBackend } from '../../main/site/train/backend/index.ts';
import { createModel, type ImageModel } from '../../main/site/train/models/index.ts';
import { adamOptimizer, decodeTrunkState, HubTrunk, SplitSite } from '../../main/site/train/split/index.ts';
import { noduleBatch, nodules } from '../../main/site/train/split/testing/nodule-batches.ts';
import { SplitSessionError } from './split-session-error.ts';
import { SPLIT_TEST_MODEL } from './testing/split-test-site.ts';
import { TrunkSteps } from './trunk-steps.ts';

const models: ImageModel[] = [];
beforeAll(async () => {
  await selectBackend({ choice: 'wasm' });
});
afterAll(() => {
  for (const model of models) model.dispose();
});

const model = () => {
  const made = createModel(SPLIT_TEST_MODEL.architecture, SPLIT_TEST_MODEL.config);
  models.push(made);
  return made;
};

function site(session: string): SplitSite {
  return new SplitSite(model(), {
    session,
    dtype: 'float16',
    optimizers: { bottom: adamOptimizer(0.01), head: adamOptimizer(0.01) },
  });
}

/** Checkpoint writes the test can hold open, then let succeed or fail. */
function heldWrites() {
  const written: Uint8Array[] = [];
  let holding = false;
  let decide: ((ok: boolean) => void) | null = null;
  return {
    written,
    holdNext: () => {
      holding = true;
    },
    release: (ok: boolean) => {
      decide?.(ok);
      decide = null;
    },
    async persist(checkpoint: Uint8Array): Promise<void> {
      let ok = true;
      if (holding) {
        holding = false;
        ok = await new Promise<boolean>((resolve) => (decide = resolve));
      }
      if (!ok) throw new Error('ENOSPC: no space left on device');
      written.push(checkpoint);
    },
  };
}

async function restartRefusal(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(SplitSessionError);
  expect((error as SplitSessionError).retry).toBe('restart-step');
  return (error as SplitSessionError).message;
}

it('undoes both steps when the first one’s write fails after the second was applied, then applies each once', async () => {
  const trunk = new HubTrunk(model(), { dtype: 'float16', optimizer: adamOptimizer(0.01) });
  const writes = heldWrites();
  const failures: unknown[] = [];
  const steps = new TrunkSteps({
    engine: trunk,
    stepTimeoutMs: 60_000,
    durable: await trunk.checkpoint(),
    persist: (checkpoint) => writes.persist(checkpoint),
    onCheckpointFailed: (error) => failures.push(error),
  });
  const [north, south] = ['a1'.repeat(16), 'b2'.repeat(16)];
  const sites = { [north]: site(north), [south]: site(south) };
  const data = nodules(16, 5);
  const { images, labels } = noduleBatch(data, 0, 8);
  const up = {
    [north]: await sites[north]!.forwardBottom(0, 0, images),
    [south]: await sites[south]!.forwardBottom(0, 0, images),
  };
  images.dispose();
  const headOf = async (session: string) =>
    (await sites[session]!.headStep(await steps.forward(session, 0, up[session]!), labels)).frame;

  // North's step: applied, its write held. South's step then takes the trunk and is applied on top.
  const northHead = await headOf(north);
  writes.holdNext();
  const northAnswer = steps.backward(north, 0, northHead);
  const southHead = await headOf(south);
  const southAnswer = steps.backward(south, 0, southHead);
  await new Promise((resolve) => setTimeout(resolve, 50));
  expect(trunk.appliedSteps).toBe(2);

  // North's write fails: both steps are undone and neither site gets an answer.
  writes.release(false);
  expect(await restartRefusal(northAnswer)).toMatch(/could not save the trunk after this step/);
  expect(await restartRefusal(southAnswer)).toMatch(/went back to its last saved state/);
  expect(failures).toHaveLength(1);
  expect(writes.written).toHaveLength(0);
  expect(trunk.appliedSteps).toBe(0);
  expect(trunk.finishedStep(north)).toBe(-1);
  expect(trunk.finishedStep(south)).toBe(-1);

  // Each site sends its step's activations again (its head answers with what it kept): applied once.
  for (const session of [north, south]) {
    const answer = await steps.backward(session, 0, await headOf(session));
    await sites[session]!.backwardBottom(answer);
  }
  expect(trunk.appliedSteps).toBe(2);
  const saved = decodeTrunkState(writes.written.at(-1)!);
  expect(saved.appliedSteps).toBe(2);
  expect(saved.sessions.map((s) => [s.session, s.step]).sort()).toEqual([
    [north, 0],
    [south, 0],
  ]);
  for (const s of Object.values(sites)) s.dispose();
}, 60_000);
