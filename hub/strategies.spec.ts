// Every strategy through a real hub, compared with the shared aggregation math applied directly to the
// same updates (after the same compression): what the hub publishes is what the formula says.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  aggregateRound,
  decodeWeights,
  encodeWeights,
  strategySchema,
  type Compression,
  type NamedTensor,
  type ServerOptimizerState,
  type TaskDefinitionInput,
} from '../shared/federation/index.ts';
import { type HubClient } from '../shared/node/federation/index.ts';
import { createTask } from './tasks.ts';
import {
  makeTestHubWithSites,
  sendDelta,
  testTask,
  testWeights,
  waitFor,
  type TestHub,
} from './testing/test-hub.ts';

let test: TestHub;
let sites: HubClient[];

beforeAll(async () => {
  ({ test, clients: sites } = await makeTestHubWithSites(['Oak', 'Elm']));
});
afterAll(() => test.cleanup());

const fills = [
  (name: string, i: number) => 0.01 * ((i % 7) - 3) + (name.includes('gamma') ? 0.5 : 0),
  (_: string, i: number) => 0.02 * ((i % 4) - 1.5),
];
const examples = [25, 75];

async function runRounds(
  strategy: TaskDefinitionInput['strategy'],
  rounds: number,
  compression: Compression = 'none',
) {
  const taskId = (
    await createTask(
      test.hub.ctx,
      testTask({ strategy, rounds, quorum: 2, compression }),
      encodeWeights(testWeights(3)),
    )
  ).id;
  for (const site of sites) await site.joinTask(taskId);
  await test.hub.advance();
  let expected: NamedTensor[] = testWeights(3);
  let state: ServerOptimizerState = null;
  for (let round = 1; round <= rounds; round += 1) {
    await waitFor(
      test.hub,
      async () => (await test.hub.ctx.store.tasks.round(taskId, round))?.state === 'collecting',
      `round ${round}`,
    );
    const updates = [];
    for (const [i, site] of sites.entries()) {
      const sent = await sendDelta(
        site,
        taskId,
        (name, j) => fills[i]!(name, j) * round,
        examples[i]!,
        compression,
      );
      // The hub sees the delta after compression: apply the same to the reference.
      updates.push({
        siteId: site.siteId,
        examples: examples[i]!,
        delta: decodeWeights(encodeWeights(sent.delta, compression)),
      });
    }
    const direct = aggregateRound(strategySchema.parse(strategy), expected, updates, state);
    expected = direct.weights;
    state = direct.serverState;
    await waitFor(
      test.hub,
      async () => await test.hub.ctx.store.models.model(taskId, round),
      `version ${round}`,
    );
  }
  const published = await sites[0]!.downloadModel(taskId, rounds);
  return { published: published.weights, expected };
}

function expectClose(actual: NamedTensor[], expected: NamedTensor[]) {
  expect(actual.map((t) => t.name)).toEqual(expected.map((t) => t.name));
  actual.forEach((tensor, t) =>
    tensor.data.forEach((value, i) => expect(value).toBeCloseTo(expected[t]!.data[i]!, 6)),
  );
}

describe('strategies through the hub match the direct computation', () => {
  it('FedAvg', async () => {
    const { published, expected } = await runRounds({ name: 'fedavg' }, 1);
    expectClose(published, expected);
    // and the reference itself is the weighted mean, so the comparison is not vacuous
    expect(published[0]!.data[0]).toBeCloseTo(
      testWeights(3)[0]!.data[0]! + (25 * -0.03 + 75 * -0.03) / 100,
      6,
    );
  });

  it('FedProx (mu reaches the sites in the task; the server averages)', async () => {
    const { published, expected } = await runRounds({ name: 'fedprox', mu: 0.1 }, 1);
    expectClose(published, expected);
    const task = (await sites[0]!.listTasks()).at(-1)!;
    expect(task.definition.strategy).toEqual({ name: 'fedprox', mu: 0.1 });
  });

  it('FedAvgM over three rounds (server velocity persisted between rounds)', async () => {
    const { published, expected } = await runRounds({ name: 'fedavgm', momentum: 0.6 }, 3);
    expectClose(published, expected);
  });

  it('FedAdam over two rounds (server moments persisted between rounds)', async () => {
    const { published, expected } = await runRounds({ name: 'fedadam', serverLearningRate: 0.02 }, 2);
    expectClose(published, expected);
  });

  it('FedBN keeps batch-norm tensors at the global values', async () => {
    const { published, expected } = await runRounds({ name: 'fedbn' }, 1);
    expectClose(published, expected);
    const initial = testWeights(3);
    expect(Array.from(published.find((t) => t.name === 'batch_normalization/gamma')!.data)).toEqual(
      Array.from(initial.find((t) => t.name === 'batch_normalization/gamma')!.data),
    );
  });

  it('median and trimmed mean gather each update and weigh every site alike (not by examples)', async () => {
    for (const strategy of [{ name: 'median' }, { name: 'trimmed-mean', trimFraction: 0 }] as const) {
      const { published, expected } = await runRounds(strategy, 2);
      expectClose(published, expected);
    }
    // One round of the median of two sites is their plain mean: -0.015 here, where FedAvg's
    // 25:75 weighting would give -0.0125.
    const { published } = await runRounds({ name: 'median' }, 1);
    expect(published[0]!.data[1]).toBeCloseTo(testWeights(3)[0]!.data[1]! + (-0.02 + -0.01) / 2, 6);
  });

  it('FedAvg with int8 and float16 updates', async () => {
    for (const compression of ['int8', 'float16'] as const) {
      const { published, expected } = await runRounds({ name: 'fedavg' }, 1, compression);
      expectClose(published, expected);
    }
  });
});
