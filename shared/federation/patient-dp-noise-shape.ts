// What the noise-to-signal rule (shared/privacy/noise-to-signal.ts) reads of a patient-level task besides
// σ, q and a site's patients: the model's values d and the training's total steps T. The hub knows both
// from the task definition alone, as does each site, so both apply the same rule.
import type { NoiseShape } from '../privacy/index.ts';
import { dpTrainableValueCount } from './dp-trainable-layers.ts';
import { modelValueCount } from './model-size.ts';
import { patientDpStepsPerRound } from './privacy-accounting.ts';
import type { TaskDefinition } from './task-schema.ts';

/** d and T of a patient-level DP task (T = rounds × patientDpStepsPerRound). */
export function patientDpNoiseShape(
  definition: Pick<TaskDefinition, 'model' | 'input' | 'labels' | 'rounds' | 'localEpochs' | 'privacy'>,
): NoiseShape {
  // An architecture model-size.ts does not know is checked as if it had one value: the most lenient
  // reading, so the rule never refuses a task for a size it cannot state.
  // Under DP fine-tuning d is the trained values only: the frozen ones get no noise and do not move.
  const layers =
    definition.privacy.differentialPrivacy?.unit === 'patient'
      ? definition.privacy.differentialPrivacy.trainableLayers
      : undefined;
  const modelValues =
    (layers && layers !== 'all' ? dpTrainableValueCount(definition, layers) : modelValueCount(definition)) ??
    1;
  return { modelValues, steps: definition.rounds * patientDpStepsPerRound(definition) };
}
