// The dashboard's "new task" form: its fields, how they become a task definition (the same JSON a
// task.json holds), and where each problem of checkTaskDefinition (task-checks.ts, which
// `radfed hub task create` uses too) is shown: beside the field its path belongs to.
// Differential privacy is one of three choices: none, per patient (DP-SGD at every site, recommended
// for the federations RadFed is built for) or per site (DP-FedAvg, for about 60 sites and more);
// docs/differential-privacy.md says why.
import type { StrategyName, TaskDefinitionInput } from '../../shared/federation/index.ts';
import type { TaskProblem } from '../task-checks.ts';
import type { FormBody } from './dashboard-auth.ts';

/** Every registered method's name in the form's list (a method without one is a compile error). */
const STRATEGY_LABELS: Record<StrategyName, string> = {
  fedavg: 'FedAvg (weighted mean)',
  fedprox: 'FedProx (FedAvg with a proximal term, needs μ)',
  fedavgm: 'FedAvgM (server momentum)',
  fedadam: 'FedAdam (Adam on the server)',
  fedbn: 'FedBN (batch norm stays at each site)',
  cyclic: 'Cyclic weight transfer',
  median: 'Median (robust; no secure aggregation)',
  'trimmed-mean': 'Trimmed mean (robust; no secure aggregation)',
  krum: 'Krum (robust; no secure aggregation)',
  splitfed: 'Split learning, SplitFed (not available yet: refused at creation)',
  swarm: 'Swarm learning (no hub: the members run it with radfed swarm; refused here)',
};

export const STRATEGY_CHOICES = Object.entries(STRATEGY_LABELS).map(([value, label]) => ({ value, label }));

export const MODEL_CHOICES = ['reference-cnn', 'resnet-small'] as const;

/** The form's differential-privacy choices, recommended first. */
export const DP_CHOICES = [
  {
    value: 'patient',
    label: 'Per patient (DP-SGD at every site): recommended for a few hospitals to a few dozen',
  },
  { value: 'site', label: 'Per site (DP-FedAvg): only for federations of about 60 sites or more' },
  { value: 'off', label: 'None: the updates carry no noise' },
] as const;
export type DpChoice = (typeof DP_CHOICES)[number]['value'];

/** The mode the form asks for ('on', the form's earlier checkbox, meant DP-FedAvg). */
export function dpChoiceOf(form: FormBody): DpChoice {
  const chosen = form.differentialPrivacy;
  if (chosen === 'patient') return 'patient';
  if (chosen === 'site' || chosen === 'on') return 'site';
  return 'off';
}

/** Form field → the definition path it sets (the longest matching path wins for a problem). */
const FIELD_PATHS: Record<string, string> = {
  name: 'name',
  description: 'description',
  model: 'model',
  inputSize: 'input',
  labels: 'labels',
  rounds: 'rounds',
  localEpochs: 'localEpochs',
  batchSize: 'batchSize',
  optimizer: 'optimizer.name',
  learningRate: 'optimizer',
  strategy: 'strategy',
  mu: 'strategy.mu',
  quorum: 'quorum',
  roundDeadlineSeconds: 'roundDeadlineSeconds',
  maxUpdateNorm: 'maxUpdateNorm',
  sites: 'sites',
  secureAggregation: 'privacy.secureAggregation',
  homomorphic: 'privacy.homomorphic',
  differentialPrivacy: 'privacy.differentialPrivacy',
  epsilon: 'privacy.differentialPrivacy.budget.epsilon',
  delta: 'privacy.differentialPrivacy.budget.delta',
};
/** The noise multiplier has one path in both modes, and a field of its own in each. */
const MODE_FIELD_PATHS: Record<DpChoice, Record<string, string>> = {
  patient: {
    samplingRate: 'privacy.differentialPrivacy.samplingRate',
    patientClip: 'privacy.differentialPrivacy.l2NormClip',
    patientNoise: 'privacy.differentialPrivacy.noiseMultiplier',
  },
  site: {
    noiseMultiplier: 'privacy.differentialPrivacy.noiseMultiplier',
    clipNorm: 'privacy.differentialPrivacy.clipNorm',
  },
  off: {},
};

/** What the form starts with: a small FedAvg task with secure aggregation and no differential privacy. */
export const FORM_DEFAULTS: FormBody = {
  model: 'reference-cnn',
  inputSize: '128',
  rounds: '20',
  localEpochs: '1',
  batchSize: '16',
  optimizer: 'adam',
  learningRate: '0.001',
  strategy: 'fedavg',
  quorum: '2',
  roundDeadlineSeconds: '3600',
  secureAggregation: 'on',
  differentialPrivacy: 'off',
  samplingRate: '0.2',
  patientClip: '1',
  // σ left empty: the hub calibrates it from the budget (hub/privacy-checks.ts).
  patientNoise: '',
  clipNorm: '1',
  noiseMultiplier: '4',
  epsilon: '8',
  delta: '0.00001',
};

const text = (form: FormBody, name: string): string => (form[name] ?? '').trim();

/** A number field: blank is absent (the check says it is required), text that is no number stays text. */
function numeric(form: FormBody, name: string): number | string | undefined {
  const value = text(form, name);
  if (value === '') return undefined;
  const number = Number(value);
  return Number.isFinite(number) ? number : value;
}

/** A list typed one per line or separated by commas. */
function list(form: FormBody, name: string): string[] {
  return text(form, name)
    .split(/[\n,]/)
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}

export function definitionFromForm(form: FormBody): TaskDefinitionInput {
  const strategy = text(form, 'strategy');
  const sites = list(form, 'sites');
  const description = text(form, 'description');
  const mode = dpChoiceOf(form);
  const homomorphic = form.homomorphic === 'on';
  const input = {
    name: text(form, 'name'),
    ...(description ? { description } : {}),
    model: { name: text(form, 'model') },
    input: { size: numeric(form, 'inputSize') },
    labels: list(form, 'labels'),
    rounds: numeric(form, 'rounds'),
    localEpochs: numeric(form, 'localEpochs'),
    batchSize: numeric(form, 'batchSize'),
    optimizer: { name: text(form, 'optimizer'), learningRate: numeric(form, 'learningRate') },
    // The method's own settings from the form; its schema keeps those it takes (FedProx's μ) and drops the rest.
    strategy: { name: strategy, ...(text(form, 'mu') ? { mu: numeric(form, 'mu') } : {}) },
    quorum: numeric(form, 'quorum'),
    roundDeadlineSeconds: numeric(form, 'roundDeadlineSeconds'),
    ...(text(form, 'maxUpdateNorm') ? { maxUpdateNorm: numeric(form, 'maxUpdateNorm') } : {}),
    privacy: {
      // Homomorphic encryption replaces secure aggregation (the hub cannot unmask ciphertexts): ticked,
      // it turns secure aggregation off, as the box's label says.
      secureAggregation: form.secureAggregation === 'on' && !homomorphic,
      homomorphic,
      differentialPrivacy: differentialPrivacyFromForm(form, mode),
    },
    ...(sites.length > 0 ? { sites } : {}),
  };
  // Built from form text: checkTaskDefinition validates every part before anything uses it.
  return input as unknown as TaskDefinitionInput;
}

function differentialPrivacyFromForm(form: FormBody, mode: DpChoice): Record<string, unknown> | null {
  const budget = { epsilon: numeric(form, 'epsilon'), delta: numeric(form, 'delta') };
  if (mode === 'patient') {
    const sigma = numeric(form, 'patientNoise');
    return {
      unit: 'patient',
      l2NormClip: numeric(form, 'patientClip'),
      samplingRate: numeric(form, 'samplingRate'),
      // Left empty, σ is absent and the hub calibrates it (checkTaskDefinition).
      ...(sigma !== undefined ? { noiseMultiplier: sigma } : {}),
      budget,
    };
  }
  if (mode === 'site') {
    return { clipNorm: numeric(form, 'clipNorm'), noiseMultiplier: numeric(form, 'noiseMultiplier'), budget };
  }
  return null;
}

/** Whether the form left a per-patient task's σ to the hub's calibration. */
export function leavesNoiseToHub(form: FormBody): boolean {
  return dpChoiceOf(form) === 'patient' && numeric(form, 'patientNoise') === undefined;
}

/** Each problem under the form field it belongs to (in the mode the form chose); '' holds those no field owns. */
export function problemsByField(problems: readonly TaskProblem[], form: FormBody): Map<string, string[]> {
  const byField = new Map<string, string[]>();
  const paths = { ...FIELD_PATHS, ...MODE_FIELD_PATHS[dpChoiceOf(form)] };
  for (const problem of problems) {
    let owner = '';
    let longest = -1;
    for (const [field, path] of Object.entries(paths)) {
      const owns = problem.path === path || problem.path.startsWith(`${path}.`);
      if (owns && path.length > longest) {
        owner = field;
        longest = path.length;
      }
    }
    byField.set(owner, [...(byField.get(owner) ?? []), problem.message]);
  }
  return byField;
}
