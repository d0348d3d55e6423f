// A split-learning site for the hub's tests and the split benchmark: an enrolled site's keys, its
// SplitSite (bottom and head of the task's model) and a runner over a real signed WebSocket session;
// and, for the hub's split specs, a task of the same model and a trunk cut from it.
import { randomBytes } from 'node:crypto';
import type { TaskDefinitionInput } from '../../../shared/federation/index.ts';
import type { SiteEnrollment } from '../../../shared/node/federation/index.ts';
import { SplitConnection, type LinkShaper } from '../../../shared/node/split/index.ts';
import { createModel, type ImageModel } from '../../../main/site/train/models/index.ts';
import {
  adamOptimizer,
  HubTrunk,
  SplitSessionRunner,
  SplitSite,
  type HubTrunkOptions,
  type SplitExchange,
  type SplitWait,
} from '../../../main/site/train/split/index.ts';
import { testTask } from '../../testing/test-hub.ts';

export const SPLIT_TEST_MODEL = {
  architecture: 'resnet-small-gn',
  config: { inputSize: 16, channels: 1, numClasses: 2, seed: 21 },
} as const;

/** A task definition of the test model for `strategy` (split learning, the U-shape, unless said). */
export function splitTestTask(
  strategy: TaskDefinitionInput['strategy'] = { name: 'splitfed' },
): TaskDefinitionInput {
  const { architecture, config } = SPLIT_TEST_MODEL;
  return testTask({ model: { name: architecture }, input: { size: config.inputSize }, strategy });
}

/** A hub's trunk (with label sharing, and the head) cut from the test model, Adam at 0.01; `model` is the caller's to dispose. */
export function splitTestTrunk(options: Omit<HubTrunkOptions, 'optimizer'> = {}): {
  trunk: HubTrunk;
  model: ImageModel;
} {
  const model = createModel(SPLIT_TEST_MODEL.architecture, SPLIT_TEST_MODEL.config);
  return { trunk: new HubTrunk(model, { optimizer: adamOptimizer(0.01), ...options }), model };
}

export interface SplitTestSite {
  readonly model: ImageModel;
  readonly site: SplitSite;
  readonly runner: SplitSessionRunner;
  readonly session: string;
  /** Every connection the runner opened, newest last (tests cut them). */
  readonly connections: SplitConnection[];
  dispose(): void;
}

export function splitTestSite(
  enrollment: SiteEnrollment,
  taskId: string,
  options: {
    session?: string;
    shaper?: LinkShaper;
    /** Wraps each connection (tests kill the hub in the middle of an exchange). */
    wrap?: (connection: SplitExchange) => SplitExchange;
    giveUpAfterMs?: number;
    onWait?: (wait: SplitWait) => void;
    /** Label sharing: the head is the hub's, each step sends its labels. */
    headAtHub?: boolean;
  } = {},
): SplitTestSite {
  const model = createModel(SPLIT_TEST_MODEL.architecture, SPLIT_TEST_MODEL.config);
  const session = options.session ?? randomBytes(16).toString('hex');
  const site = new SplitSite(model, {
    session,
    dtype: 'float16',
    optimizers: { bottom: adamOptimizer(0.01), head: adamOptimizer(0.01) },
    ...(options.headAtHub ? { headAtHub: true } : {}),
  });
  const connections: SplitConnection[] = [];
  const runner = new SplitSessionRunner({
    site,
    ...(options.giveUpAfterMs ? { giveUpAfterMs: options.giveUpAfterMs } : {}),
    ...(options.onWait ? { onWait: options.onWait } : {}),
    connect: async () => {
      const connection = await SplitConnection.open({
        hubUrl: enrollment.hubUrl,
        caPem: enrollment.caPem,
        siteId: enrollment.siteId,
        signingPrivateKeyPem: enrollment.signingPrivateKeyPem,
        taskId,
        session,
        ...(options.shaper ? { shaper: options.shaper } : {}),
      });
      connections.push(connection);
      return options.wrap ? options.wrap(connection) : connection;
    },
  });
  return {
    model,
    site,
    runner,
    session,
    connections,
    dispose: () => {
      runner.close();
      site.dispose();
      model.dispose();
    },
  };
}
