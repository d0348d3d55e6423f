// Test support: the swarm task the specs run on the synthetic nodule (nodule-learner.ts), with secure
// aggregation on, and the rounds options of a member that trains it on its own seeded images.
import { encodeWeights } from '../../../../shared/federation/index.ts';
import { sha256Hex } from '../../../../shared/node/federation/index.ts';
import type { SwarmRoundsOptions } from '../swarm-rounds.ts';
import type { SwarmTask } from '../swarm-task.ts';
import { initialNoduleModel, noduleSet, trainNodule } from './nodule-learner.ts';

/**
 * A task of `rounds` rounds on `initial` (by default the untrained nodule model, every weight 0), and
 * the initial model's bytes, which every member must hold or fetch by their hash.
 */
export function noduleTask(
  settings: Pick<SwarmTask, 'rounds' | 'leaderTimeoutMs'> & Partial<SwarmTask>,
  initial: Uint8Array = encodeWeights(initialNoduleModel()),
): { initial: Uint8Array; task: SwarmTask } {
  return {
    initial,
    task: {
      name: 'synthetic nodule',
      initialModel: sha256Hex(initial),
      secureAggregation: { clipRange: 0.5, bits: 16 },
      ...settings,
    },
  };
}

/** A member's rounds options: it trains one epoch on its `count` nodule images drawn with `seed`. */
export function noduleRounds(
  task: SwarmTask,
  initial: Uint8Array,
  count: number,
  seed: number,
): SwarmRoundsOptions {
  const data = noduleSet(count, seed);
  return { task, initialModel: initial, train: (global) => Promise.resolve(trainNodule(global, data)) };
}
