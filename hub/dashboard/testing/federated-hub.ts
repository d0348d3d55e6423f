// A real hub for the dashboard's tests and browser tests: two sites enrolled through the protocol, a
// third token left unused, a task with an initial model, two published rounds with the sites'
// evaluations, and a third round collecting. Takes a second or two: no training, small weights.
import { encodeWeights, type TaskDefinitionInput } from '../../../shared/federation/index.ts';
import { type HubClient } from '../../../shared/node/federation/index.ts';
import type { StartHubOptions } from '../../server/start-hub.ts';
import { createTask } from '../../tasks.ts';
import {
  enrollTestSite,
  makeTestHub,
  sendDelta,
  testTask,
  testWeights,
  waitFor,
  type TestHub,
} from '../../testing/test-hub.ts';
import { setCoordinatorPassword } from '../coordinator-admin.ts';
import { TEST_SCRYPT_COST } from './dashboard-client.ts';

export const COORDINATOR = 'coordinator';
export const COORDINATOR_PASSWORD = 'a long coordinator passphrase';
export const SITE_NAMES = ['Ash General Hospital', 'Birch Clinic'] as const;
/** Examples each site reports per round, and the metrics it reports for each published version. */
const EXAMPLES = [12, 30] as const;
const EVALUATIONS = [
  { loss: 0.69, accuracy: 0.5, auc: 0.5 },
  { loss: 0.55, accuracy: 0.68, auc: 0.71 },
  { loss: 0.42, accuracy: 0.79, auc: 0.83 },
];

export interface FederatedHub {
  readonly testHub: TestHub;
  readonly taskId: string;
  readonly taskName: string;
  readonly sites: HubClient[];
  readonly publishedRounds: number;
  cleanup(): Promise<void>;
}

export async function makeFederatedHub(
  options: { task?: Partial<TaskDefinitionInput>; start?: Partial<StartHubOptions> } = {},
): Promise<FederatedHub> {
  const testHub = await makeTestHub(options.start ?? {});
  try {
    const { hub } = testHub;
    await setCoordinatorPassword(testHub.dir, COORDINATOR, COORDINATOR_PASSWORD, { cost: TEST_SCRYPT_COST });
    const sites: HubClient[] = [];
    for (const name of SITE_NAMES) sites.push((await enrollTestSite(hub, name)).client);
    await hub.createToken({ siteName: 'Cedar Infirmary' });

    const definition = testTask({
      name: 'Pneumonia screening',
      rounds: 3,
      quorum: 2,
      // Plain updates: these tests send them directly, not through the masking protocol.
      privacy: { secureAggregation: false },
      ...options.task,
    });
    const task = await createTask(hub.ctx, definition, encodeWeights(testWeights(5)));
    for (const site of sites) await site.joinTask(task.id);
    await hub.advance();
    const evaluate = async (version: number) => {
      const metrics = EVALUATIONS[version] ?? EVALUATIONS[0];
      for (const [i, site] of sites.entries()) {
        await site.postMetrics(task.id, version, { ...metrics!, n: 10 + i * 10 });
      }
    };
    await evaluate(0);
    const publishedRounds = 2;
    for (let round = 1; round <= publishedRounds; round++) {
      for (const [i, site] of sites.entries()) await sendDelta(site, task.id, 0.01 * (i + 1), EXAMPLES[i]!);
      await waitFor(
        hub,
        async () => (await hub.ctx.store.tasks.round(task.id, round))?.state === 'published',
        `round ${round} published`,
      );
      await evaluate(round);
    }
    await waitFor(
      hub,
      async () => await hub.ctx.store.tasks.round(task.id, publishedRounds + 1),
      'the next round',
    );
    return {
      testHub,
      taskId: task.id,
      taskName: definition.name,
      sites,
      publishedRounds,
      cleanup: () => testHub.cleanup(),
    };
  } catch (error) {
    await testHub.cleanup();
    throw error;
  }
}
