// A split-learning task's whole model for `radfed hub model export`. The published versions hold the
// sites' segments (the bottom, and the head when it stays at the sites), averaged round by round; the
// trunk (and, with label sharing, the head) learns at the hub only, step by step, and its trained
// values are in the trunk checkpoint the hub writes after each step (hub/split). The export merges the
// two in the model's own tensor order; which stage is whose comes from the stage table in
// shared/federation/methods/round-tensors.ts.
import { decodeTrunkState, TrunkCheckpointError } from '../shared/node/split/index.ts';
import {
  federationMethod,
  roundTensors,
  type NamedTensor,
  type TaskDefinition,
} from '../shared/federation/index.ts';
import type { HubContext } from './hub-context.ts';
import { HubError } from './hub-errors.ts';
import { trunkCheckpointsFor } from './split/index.ts';

/** Where each part of an exported split model came from, for the model card. */
export interface SplitModelParts {
  readonly sites: { readonly stages: string[]; readonly fromVersion: number };
  readonly hub: {
    readonly stages: string[];
    /** The trunk checkpoint's step count, or null when the trunk has never finished a step. */
    readonly fromCheckpointAfterSteps: number | null;
  };
}

export interface SplitModel {
  readonly weights: NamedTensor[];
  readonly parts: SplitModelParts;
  /** The model card's `missing` line when the hub's part is still its initial value, else null. */
  readonly missing: string | null;
}

const stageOf = (name: string) => name.split('/')[0] as string;

/**
 * The published version's site segments with the hub's trained part from the task's latest trunk
 * checkpoint; without a checkpoint, the published weights as they are, and a line saying so.
 */
export async function wholeSplitModel(
  ctx: HubContext,
  taskId: string,
  definition: TaskDefinition,
  version: number,
  published: readonly NamedTensor[],
): Promise<SplitModel> {
  const headAtHub = federationMethod(definition.strategy).steps?.headAt === 'hub';
  const siteNames = new Set(roundTensors(definition, published).map((t) => t.name));
  const stages = (fromSites: boolean) => [
    ...new Set(published.filter((t) => siteNames.has(t.name) === fromSites).map((t) => stageOf(t.name))),
  ];
  const hubPart = headAtHub ? 'the trunk and the head' : 'the trunk';
  const saved = await trunkCheckpointsFor(ctx).read(taskId);
  if (!saved) {
    return {
      weights: [...published],
      parts: {
        sites: { stages: stages(true), fromVersion: version },
        hub: { stages: stages(false), fromCheckpointAfterSteps: null },
      },
      missing:
        `${hubPart}: this split-learning task trains ${headAtHub ? 'them' : 'it'} at the hub only, so this ` +
        `export holds ${headAtHub ? 'their' : 'its'} initial values; the trained ones will be in the hub's ` +
        'trunk checkpoint (split/<task>/trunk.ckpt) once the trunk has finished a step: export again then.',
    };
  }
  let state;
  try {
    state = decodeTrunkState(saved.engine);
  } catch (error) {
    if (!(error instanceof TrunkCheckpointError)) throw error;
    throw new HubError(
      'bad-trunk-checkpoint',
      500,
      `This split-learning task's trunk checkpoint is damaged, so the trained trunk cannot be exported; ` +
        'export again after its next step, or export at a site.',
    );
  }
  // The checkpoint also holds the optimizer's moments; only the model's own tensors are taken.
  const trained = new Map(state.tensors.map((t) => [t.name, t]));
  const weights = published.map((tensor) => {
    if (siteNames.has(tensor.name)) return tensor;
    const saved = trained.get(tensor.name);
    if (!saved || saved.values.length !== tensor.data.length) {
      throw new HubError(
        'bad-trunk-checkpoint',
        500,
        `This split-learning task's trunk checkpoint does not fit its model (tensor ${tensor.name}); ` +
          'the hub was probably updated mid-task: export at a site, or start the task again.',
      );
    }
    return { name: tensor.name, shape: [...tensor.shape], data: saved.values };
  });
  return {
    weights,
    parts: {
      sites: { stages: stages(true), fromVersion: version },
      hub: { stages: stages(false), fromCheckpointAfterSteps: state.appliedSteps },
    },
    missing: null,
  };
}
