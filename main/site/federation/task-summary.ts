// A federated task in plain words, for the operator who decides whether the site takes part: what
// is trained on which of the site's data, how, and exactly what leaves the site.
import { describeHomomorphic } from './homomorphic-summary.ts';
import {
  federationMethod,
  learningRateScheduleWords,
  patientDpStepsPerRound,
  patientLevelDp,
  type Compression,
  type TaskDefinition,
  type TaskView,
  type UpdateWeighting,
} from '../../../shared/federation/index.ts';
import {
  describeDifferentialPrivacy,
  differentialPrivacyHeading,
  expectedCount,
  plainNumber,
} from './dp-summary.ts';

export interface TaskSummaryInput {
  readonly view: TaskView;
  readonly hubUrl: string;
  /** Float32 values in the task's model (from the engine). */
  readonly modelValues: number;
  /** The site task supplying the cohort, and its size now (null when it cannot be built yet). */
  readonly cohort: {
    taskId: string;
    train: number;
    validation: number;
    patients: number;
    /** Patients in the training split: the N of patient-level DP (dp-summary.ts). */
    trainPatients?: number;
  } | null;
}

const BYTES_PER_VALUE: Record<Compression, number> = { none: 4, float16: 2, int8: 1 };
const COMPRESSION_WORDS: Record<Compression, string> = {
  none: 'not compressed (32-bit floats)',
  float16: 'compressed to 16-bit floats',
  int8: 'compressed to 8-bit integers with one scale per tensor',
};

/** Bytes of one update of a model of `values` float32 values, compressed as the task says (approx.). */
export function updateBytes(values: number, compression: Compression): number {
  return values * BYTES_PER_VALUE[compression];
}

export function megabytes(bytes: number): string {
  const mb = bytes / 1e6;
  return mb >= 10 ? mb.toFixed(0) : mb >= 1 ? mb.toFixed(1) : mb.toFixed(2);
}

/** The method in plain words, from its record (shared/federation/methods). */
export function describeStrategy(definition: TaskDefinition): string {
  return federationMethod(definition.strategy).site.describe(updateWeighting(definition));
}

/**
 * How the hub weighs this site's update: with differential privacy (either unit) the site sends the
 * weight 1 instead of its number of training images (update-pipeline.ts, round-work.ts' updateWeight),
 * so an average counts every site the same.
 */
export function updateWeighting(definition: TaskDefinition): UpdateWeighting {
  return definition.privacy.differentialPrivacy ? 'equal' : 'training-images';
}

/**
 * What one round of local training is, in words: batches of the task's size, or under patient-level
 * DP steps that each learn from a random sample of the site's patients (the task's batch size does not
 * apply; the sample's expected size is q × training patients).
 */
function describeLocalTraining(definition: TaskDefinition, trainPatients: number | null): string {
  const epochs = `${definition.localEpochs} local epoch${definition.localEpochs === 1 ? '' : 's'}`;
  const dp = patientLevelDp(definition.privacy.differentialPrivacy);
  if (!dp) return `${epochs} in batches of ${definition.batchSize}`;
  const sample =
    trainPatients !== null
      ? `about ${expectedCount(dp.samplingRate * trainPatients)} of this site\u2019s ${trainPatients} training patients`
      : `each training patient of this site with a chance of ${dp.samplingRate}`;
  return (
    `${stepCount(patientDpStepsPerRound(definition))} (as much training as ${epochs}), each on a new random ` +
    `sample of patients (${sample}, with all of their images) instead of batches of a fixed size`
  );
}

export function describeTask(input: TaskSummaryInput): string[] {
  const { view } = input;
  const d = view.definition;
  const raw = input.modelValues * 4;
  const perRound = updateBytes(input.modelValues, d.compression);
  const window = d.input.window
    ? `a fixed window (centre ${d.input.window.center}, width ${d.input.window.width})`
    : 'each image\u2019s own brightness range';
  const homomorphic = describeHomomorphic(d, megabytes, input.modelValues);
  const lines = [
    `Task ${view.id}: "${d.name}" (${view.state}) from the hub at ${input.hubUrl}`,
    ...(d.description ? [`  ${d.description}`] : []),
    `  Model: ${d.model.name}, ${(input.modelValues / 1e6).toFixed(2)} M weights (${megabytes(raw)} MB), on ${d.input.size}\u00d7${d.input.size} greyscale images scaled with ${window}.`,
    `  Labels: ${d.labels.join(', ')}.`,
    input.cohort
      ? `  Trains on this site\u2019s task "${input.cohort.taskId}": ${input.cohort.train} training and ${input.cohort.validation} validation images of ${input.cohort.patients} patients in by consent, de-identified.`
      : '  This site has no task with these labels yet: add one (radfed site task add) and import its labels before approving.',
    `  Rounds: ${d.rounds}; in each, ${describeLocalTraining(d, input.cohort?.trainPatients ?? null)}, ` +
      `${d.optimizer.name === 'adam' ? 'Adam' : 'SGD'} at learning rate ${d.optimizer.learningRate}` +
      learningRateScheduleWords(d.optimizer.schedule) +
      `${d.optimizer.name === 'sgd' ? ' (this site\u2019s trainer has Adam only: it trains with Adam at that rate)' : ''}.`,
    `  Strategy: ${describeStrategy(d)}. A round closes when ${d.quorum} site${d.quorum === 1 ? ' has' : 's have'} sent an update, or ${formatSeconds(d.roundDeadlineSeconds)} after it opened.`,
    'What leaves this site:',
    homomorphic?.update ??
      `  - per round, one model update of about ${megabytes(perRound)} MB: the change to the global model, ${COMPRESSION_WORDS[d.compression]}, encrypted to the hub\u2019s key (only the hub can read it) and signed by this site;`,
    '  - per round, the global model\u2019s loss, accuracy and AUC on this site\u2019s validation images, with their number;',
    d.privacy.differentialPrivacy
      ? '  - not the number of training images: with differential privacy every update carries the same weight;'
      : homomorphic
        ? '  - the number of training images only inside the encrypted update.'
        : '  - the number of training images behind each update.',
    '  Never images, labels of single studies, or anything about a patient.',
    homomorphic?.protection ??
      (d.privacy.secureAggregation.enabled
        ? '  Updates are masked (secure aggregation): the hub sees only the sum over sites.'
        : '  Updates are not masked (no secure aggregation): the hub sees this site\u2019s update itself.'),
    differentialPrivacyHeading(d),
    ...describeDifferentialPrivacy(
      d,
      view.privacyBudget,
      input.cohort?.train ?? null,
      input.cohort?.trainPatients ?? null,
    ),
  ];
  return lines;
}

/**
 * The task's privacy budget in one line for the screen: whom ε is for (each patient, or the site as a
 * whole) and δ in decimals; "Not set" when the task adds no noise.
 */
export function describeBudgetLimit(definition: TaskDefinition): string {
  const dp = definition.privacy.differentialPrivacy;
  if (!dp) return 'Not set: this task adds no differential-privacy noise.';
  const whom = dp.unit === 'patient' ? 'for each patient' : 'for this site as a whole';
  return `At most \u03b5 = ${dp.budget.epsilon} ${whom} (\u03b4 = ${plainNumber(dp.budget.delta)}) over the whole task.`;
}

function formatSeconds(seconds: number): string {
  if (seconds % 3600 === 0) return `${seconds / 3600} h`;
  if (seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}

/** "1 training step", "5 training steps". */
function stepCount(steps: number): string {
  return `${steps} training step${steps === 1 ? '' : 's'}`;
}
