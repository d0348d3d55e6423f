// Which of the model's tensors a round's update holds. For a method whose rhythm is 'round' that is
// every tensor of the global model. Split learning (a 'step' method) trains the trunk at the hub, step
// by step, so a site's round changes only its own segments: the bottom (input → cut 1) and, when the
// head stays at the site, the head (cut 2 → logits). Its update holds those tensors only, which at the
// models' own cuts is about 5% of the values (docs/split-learning.md, "Rounds"); the hub checks, masks,
// sums and applies that layout. The hub builds no model, so the stages and cut points are mirrored
// here from main/site/train/models (a tensor's stage is the first part of its name); the spec there
// (split-stage-table.spec.ts) builds each model and checks this table against it.
// DP fine-tuning (a patient-level DP task whose trainableLayers is 'head' or 'norm-and-head') trains
// only those tensors; the rest, batch norm's running statistics included (the trainer freezes batch
// norm under DP-SGD), never move at any site. Its update holds the trained tensors only: for the head
// of resnet-small 514 values instead of 304,466 (docs/differential-privacy.md, "Bytes per round").
import { isDpTrainable, type DpTrainableLayers } from '../dp-trainable-layers.ts';
import { FederationError } from '../errors.ts';
import type { TaskDefinition } from '../task-schema.ts';
import { assertSameLayout, type TensorLayout } from '../tensors.ts';
import { federationMethod } from './index.ts';

interface ModelStages {
  /** The model's stages in the order its forward pass runs them. */
  readonly stages: readonly string[];
  /** The cut points named in the model's definition (each the stage the cut follows). */
  readonly cuts: { readonly cut1: string; readonly cut2: string };
}

const RESNET_SMALL: ModelStages = {
  stages: ['stem', 'block1', 'block2', 'block3', 'head'],
  cuts: { cut1: 'block1', cut2: 'block3' },
};

/** Stages and cut points of every model a split task may train, by the task's model name. */
export const SPLIT_MODEL_STAGES: Readonly<Record<string, ModelStages>> = {
  'reference-cnn': {
    stages: ['conv1', 'conv2', 'conv3', 'conv4', 'head'],
    cuts: { cut1: 'conv2', cut2: 'conv4' },
  },
  'resnet-small': RESNET_SMALL,
  'resnet-small-gn': RESNET_SMALL,
  'resnet-18': {
    stages: ['stem', 'layer1', 'layer2', 'layer3', 'layer4', 'head'],
    cuts: { cut1: 'layer1', cut2: 'layer4' },
  },
  'densenet-121': {
    stages: [
      'stem',
      'block1',
      'transition1',
      'block2',
      'transition2',
      'block3',
      'transition3',
      'block4',
      'head',
    ],
    cuts: { cut1: 'transition1', cut2: 'block4' },
  },
};

type RoundDefinition = Pick<TaskDefinition, 'strategy' | 'model'> & Partial<Pick<TaskDefinition, 'privacy'>>;

/** The layers a DP fine-tuning task trains, or null when its sites train every tensor. */
function fineTunedLayers(definition: RoundDefinition): Exclude<DpTrainableLayers, 'all'> | null {
  const dp = definition.privacy?.differentialPrivacy;
  if (dp?.unit !== 'patient') return null;
  // Homomorphic rounds still encrypt and sum the whole model (the hub sizes its ciphertexts from the
  // initial model): its frozen tensors travel as zeros there.
  if (definition.privacy?.homomorphic.enabled) return null;
  const layers = dp.trainableLayers ?? 'all';
  return layers === 'all' ? null : layers;
}

/**
 * The stages whose tensors a split site trains and sends each round (the bottom, and the head when it
 * runs at the site), or null when the method sends the whole model.
 */
export function siteSegmentStages(definition: RoundDefinition): ReadonlySet<string> | null {
  const steps = federationMethod(definition.strategy).steps;
  if (!steps) return null;
  const known = SPLIT_MODEL_STAGES[definition.model.name];
  if (!known) {
    throw new FederationError(
      'bad-strategy',
      `Split learning cannot cut the model "${definition.model.name}": it knows the stages of ` +
        `${Object.keys(SPLIT_MODEL_STAGES).join(', ')}; choose one of them for a splitfed task.`,
    );
  }
  const cuts = steps.cuts ?? known.cuts;
  const first = known.stages.indexOf(cuts.cut1);
  const second = known.stages.indexOf(cuts.cut2);
  if (first < 0 || second <= first || second >= known.stages.length - 1) {
    throw new FederationError(
      'bad-strategy',
      `The cuts after "${cuts.cut1}" and "${cuts.cut2}" do not split the ${definition.model.name} model in three ` +
        `(its stages: ${known.stages.join(', ')}); name two stages in order, before the last.`,
    );
  }
  const bottom = known.stages.slice(0, first + 1);
  const head = steps.headAt === 'site' ? known.stages.slice(second + 1) : [];
  return new Set([...bottom, ...head]);
}

const stageOf = (name: string) => name.split('/')[0] as string;

/** The tensors of `tensors` (a global model, a trained model, a layout) that the round's update holds. */
export function roundTensors<T extends { readonly name: string }>(
  definition: RoundDefinition,
  tensors: readonly T[],
): T[] {
  const stages = siteSegmentStages(definition);
  const layers = fineTunedLayers(definition);
  return tensors.filter(
    (t) => (!stages || stages.has(stageOf(t.name))) && (!layers || isDpTrainable(t.name, layers)),
  );
}

/**
 * Throws a FederationError, in words for the site, unless `update` has exactly the layout of the
 * round's part of `global`. A split site that sends a trunk tensor is told the trunk is the hub's.
 */
export function assertRoundLayout(
  definition: RoundDefinition,
  update: readonly TensorLayout[],
  global: readonly TensorLayout[],
): void {
  const wanted = roundTensors(definition, global);
  if (wanted.length !== global.length) {
    const sent = new Set(wanted.map((t) => t.name));
    const inGlobal = new Set(global.map((t) => t.name));
    const trunk = update.find((t) => inGlobal.has(t.name) && !sent.has(t.name));
    const layers = fineTunedLayers(definition);
    if (trunk && layers) {
      throw new FederationError(
        'layout-mismatch',
        `The update has the tensor "${trunk.name}", which this task keeps frozen: it trains only the ` +
          `"${layers}" layers under differential privacy, and an update holds those tensors only. Update RadFed at the site.`,
      );
    }
    if (trunk) {
      throw new FederationError(
        'layout-mismatch',
        `The update has the tensor "${trunk.name}", which is the hub's to train (the trunk, or a segment that ` +
          'runs at the hub): a split-learning update holds only the site\u2019s own segments. Update RadFed at the site.',
      );
    }
  }
  assertSameLayout(update, wanted);
}
