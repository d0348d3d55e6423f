// The split steps the hub's recovery specs run (the kill -9 of a hub or a replica, a checkpoint write
// that fails): a test site's steps over its session, and the same steps run in one process with no
// network and nothing failing, which such a run must end exactly equal to (the trunk, with label
// sharing the head too, and the site's segments).
import { expect } from 'vitest';
import { createModel, type NamedTensor } from '../../../main/site/train/models/index.ts';
import { adamOptimizer, HubTrunk, SplitSite } from '../../../main/site/train/split/index.ts';
import { noduleBatch, nodules } from '../../../main/site/train/split/testing/nodule-batches.ts';
import { SPLIT_TEST_MODEL, type SplitTestSite } from './split-test-site.ts';

/** The images of `steps` batches of `batch`: the same in a test's run and its unbroken run. */
const stepData = (steps: number, batch: number) => nodules(steps * batch, 7);

/** Runs steps 0 to `steps` - 1 of the site's session, one batch of `batch` images each. */
export async function runSplitTestSteps(site: SplitTestSite, steps: number, batch: number): Promise<void> {
  const data = stepData(steps, batch);
  for (let step = 0; step < steps; step++) {
    const { images, labels } = noduleBatch(data, step, batch);
    await site.runner.step(step, step, images, labels);
    images.dispose();
  }
}

/** The same steps for `session` in one process with no network and no failure. */
export async function unbrokenSplitRun(
  session: string,
  steps: number,
  batch: number,
  headAtHub = false,
): Promise<{ site: readonly NamedTensor[]; trunk: readonly NamedTensor[] }> {
  const { architecture, config } = SPLIT_TEST_MODEL;
  const site = new SplitSite(createModel(architecture, config), {
    session,
    dtype: 'float16',
    optimizers: { bottom: adamOptimizer(0.01), head: adamOptimizer(0.01) },
    headAtHub,
  });
  const trunk = new HubTrunk(createModel(architecture, config), {
    dtype: 'float16',
    optimizer: adamOptimizer(0.01),
    headAtHub,
  });
  const data = stepData(steps, batch);
  for (let step = 0; step < steps; step++) {
    const { images, labels } = noduleBatch(data, step, batch);
    if (headAtHub) {
      const answer = await trunk.labelledStep(await site.labelledStep(step, step, images, labels));
      await site.backwardBottom(answer.frame);
    } else {
      const head = await site.headStep(
        await trunk.forwardTrunk(await site.forwardBottom(step, step, images)),
        labels,
      );
      await site.backwardBottom((await trunk.backwardTrunk(head.frame)).frame);
    }
    images.dispose();
  }
  return { site: site.segmentParameters, trunk: trunk.trunk.parameters };
}

/** The largest difference of one value between two lists of the same parameters (names checked). */
export async function maxParameterDifference(
  a: readonly NamedTensor[],
  b: readonly NamedTensor[],
): Promise<number> {
  expect(a.map((t) => t.name)).toEqual(b.map((t) => t.name));
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const x = (await a[i]!.variable.data()) as Float32Array;
    const y = (await b[i]!.variable.data()) as Float32Array;
    for (let j = 0; j < x.length; j++) worst = Math.max(worst, Math.abs(x[j]! - y[j]!));
  }
  return worst;
}
