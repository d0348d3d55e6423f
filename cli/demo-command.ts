// `radfed demo` (`npm run demo`): the whole federation on this machine with embedded defaults, with
// secure aggregation on as in a real task; prints progress as it goes and the results table at the
// end; --json writes the same results for machines. --method picks how the hospitals combine (FedAvgM,
// cyclic weight transfer, split learning, a swarm); --compare runs every method and protection on the
// same hospitals, one after another, and prints them side by side; --no-secagg runs the federation
// without secure aggregation.
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import {
  DEMO_DEFAULTS,
  DEMO_DP_PRESET,
  DEMO_REALISTIC_PRESET,
  DEMO_SCALES,
  COMPARE_DEFAULT_ROUNDS,
  DEMO_SPLIT_STRATEGY,
  DemoRefusedError,
  describeEstimate,
  dpDemoPlan,
  estimateDemoTime,
  estimateDpDemo,
  formatCompareTable,
  formatDemoTable,
  formatDpDemoTable,
  formatSwarmDemoTable,
  runCompareDemo,
  runDemo,
  runDpDemo,
  runSwarmDemo,
  type DemoScale,
  type DpDemoPlan,
} from '../main/demo/index.ts';
import { parsePositiveInt } from './arguments.ts';
import { CliError } from './failure.ts';
import { runStoppableDemo } from './demo-stop-signals.ts';
import { federationMethod, strategySchema, type TaskDefinitionInput } from '../shared/federation/index.ts';

interface DemoFlags {
  json?: string;
  sites: number;
  /** Unset: the demo's default, or DEMO_DP_PRESET's with --dp. */
  rounds?: number;
  localEpochs: number;
  /** Unset: the demo's default, or DEMO_DP_PRESET's with --dp (DP-SGD needs more patients). */
  patients?: number;
  size: number;
  dir?: string;
  keep?: boolean;
  seed: number;
  /** Commander sets false for --no-secagg; --secagg (the default anyway) or nothing leaves it on. */
  secagg?: boolean;
  dp?: boolean;
  homomorphic?: boolean;
  compare?: boolean;
  scale: DemoScale;
  /** How the hospitals combine: with a hub (the default) or as a swarm with no hub. */
  method: DemoMethod;
}

/**
 * The demo's ways to combine: FedAvgM through the hub (the default), cyclic weight transfer, split
 * learning against the hub's trunk, or a swarm of the hospitals with no hub; each with its task
 * strategy and its words in the table.
 */
const DEMO_METHOD_CHOICES = {
  fedavg: { strategy: undefined, words: undefined },
  cyclic: { strategy: { name: 'cyclic' }, words: 'cyclic weight transfer' },
  split: { strategy: DEMO_SPLIT_STRATEGY, words: 'split learning' },
  swarm: { strategy: { name: 'swarm' }, words: 'swarm learning' },
} as const satisfies Record<
  string,
  { strategy: TaskDefinitionInput['strategy'] | undefined; words: string | undefined }
>;
const DEMO_METHODS = Object.keys(DEMO_METHOD_CHOICES) as (keyof typeof DEMO_METHOD_CHOICES)[];
type DemoMethod = keyof typeof DEMO_METHOD_CHOICES;

function parseDemoMethod(value: string): DemoMethod {
  const method = DEMO_METHODS.find((name) => name === value);
  if (method === undefined)
    throw new InvalidArgumentError(`--method is ${DEMO_METHODS.join(' or ')}, not "${value}".`);
  return method;
}

function parseScale(value: string): DemoScale {
  if (!(DEMO_SCALES as readonly string[]).includes(value)) {
    throw new CliError(`--scale takes ${DEMO_SCALES.join(' or ')}, not "${value}".`);
  }
  return value as DemoScale;
}

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .summary('run a whole federation on this machine and compare it with local and pooled training')
    .description(
      'Synthesise chest radiographs for several hospitals with different scanners, set each up as a RadFed site ' +
        '(consent, ingest and de-identification, labels), start a hub and one site agent per hospital as separate ' +
        'processes on loopback HTTPS, enroll them, approve and run a federated task for several rounds with secure ' +
        'aggregation (the hub learns only the sum of the updates, as in every real task), then ' +
        'evaluate the federated model, each hospital\u2019s local-only model and a model trained on all data pooled, ' +
        'on the same held-out test set. Nothing to configure; a few minutes on a laptop.',
    )
    .option('--json <file>', 'also write the results as JSON to this file')
    .option(
      '--method <name>',
      'fedavg: FedAvgM through a hub (the default); cyclic: cyclic weight transfer, the model visiting one hospital a round; ' +
        'split: split learning, each hospital running the first and last layers against the trunk the hub keeps; ' +
        'swarm: the hospitals as a swarm with no hub, a leader elected per round by their ledger',
      parseDemoMethod,
      'fedavg',
    )
    .option(
      '--scale <name>',
      `default, or realistic: ${DEMO_REALISTIC_PRESET.patientsPerSite} patients per hospital at ` +
        `${DEMO_REALISTIC_PRESET.imageSize} px with ResNet-18, ${DEMO_REALISTIC_PRESET.rounds} rounds ` +
        '(hours on a CPU; the time is estimated and printed before it starts)',
      parseScale,
      'default',
    )
    .option('--sites <n>', 'hospitals', (v) => parsePositiveInt(v, '--sites'), DEMO_DEFAULTS.sites)
    .option(
      '--rounds <n>',
      `federated rounds (default ${DEMO_DEFAULTS.rounds}; ${DEMO_DP_PRESET.rounds} with --dp; ${COMPARE_DEFAULT_ROUNDS} per method with --compare)`,
      (v) => parsePositiveInt(v, '--rounds'),
    )
    .option(
      '--local-epochs <n>',
      'local epochs per round',
      (v) => parsePositiveInt(v, '--local-epochs'),
      DEMO_DEFAULTS.localEpochs,
    )
    .option(
      '--patients <n>',
      `patients per hospital (default ${DEMO_DEFAULTS.patientsPerSite}; ${DEMO_DP_PRESET.patientsPerSite} with --dp)`,
      (v) => parsePositiveInt(v, '--patients'),
    )
    .option('--size <pixels>', 'image size', (v) => parsePositiveInt(v, '--size'), DEMO_DEFAULTS.imageSize)
    .option(
      '--seed <n>',
      'seed of the synthetic studies and of the test split: another seed, other patients',
      (v) => parsePositiveInt(v, '--seed'),
      DEMO_DEFAULTS.seed,
    )
    .option(
      '--dir <folder>',
      'work in this folder and keep it (default: a temporary folder, removed at the end)',
    )
    .option('--keep', 'keep the temporary folder (sites, hub, studies) for a look afterwards')
    .option(
      '--secagg',
      'run with secure aggregation (the default: the hub learns only the sum of the updates)',
    )
    .option('--no-secagg', 'run the federation without secure aggregation (plain sealed float16 updates)')
    .option(
      '--compare',
      'run every method on the same hospitals, one after another: local-only, cyclic weight transfer, FedAvg, split ' +
        'learning, swarm learning, FedAvg with secure aggregation, with homomorphic encryption and with differential ' +
        'privacy, and pooled; one table of AUC, accuracy, bytes per site, wall time and what the coordinator sees ' +
        `(${COMPARE_DEFAULT_ROUNDS} rounds each unless --rounds; about 8 minutes on two cores)`,
    )
    .option(
      '--dp',
      'DP fine-tuning: the hospitals train the head of a public pre-trained model (pre-trained first, then cached) with ' +
        'patient-level DP-SGD at \u03b5 = 8 (secure aggregation on), beside the same run without DP and full fine-tuning ' +
        `without DP; ${DEMO_DP_PRESET.patientsPerSite} patients per hospital unless --patients`,
    )
    .option(
      '--homomorphic',
      'encrypt the updates homomorphically instead of secure aggregation: the hub adds them without seeing any, nor their sum, nor the model',
    )
    .action((flags: DemoFlags) => runStoppableDemo(() => runDemoCommand(flags)));
}

/** The demo's variants, chosen by the flags: --compare, --method swarm, --dp, or the federation through a hub. */
async function runDemoCommand(flags: DemoFlags): Promise<void> {
  if (flags.sites > 8) throw new CliError('The demo runs at most 8 hospitals (--sites 8 or fewer).');
  if (flags.compare) {
    await runCompareCommand(flags);
    return;
  }
  const choice = DEMO_METHOD_CHOICES[flags.method];
  const method = federationMethod(strategySchema.parse(choice.strategy ?? { name: 'fedavgm' }));
  if (method.combiner === 'elected-site') {
    await runSwarmCommand(flags);
    return;
  }
  if (flags.dp) {
    await runDpCommand(flags);
    return;
  }
  // A method that needs each site's update (cyclic weight transfer) runs without secure
  // aggregation; asked for explicitly, it is refused with the method's own reason.
  const secureAggregation = flags.secagg !== false && !flags.homomorphic;
  const secureAggregationAllowed = method.privacy.secureAggregation;
  if (secureAggregation && !secureAggregationAllowed.allowed && flags.secagg === true)
    throw new CliError(secureAggregationAllowed.reason);
  const realistic = flags.scale === 'realistic';
  const preset = realistic ? DEMO_REALISTIC_PRESET : undefined;
  const settings = {
    ...DEMO_DEFAULTS,
    sites: flags.sites,
    rounds: flags.rounds ?? preset?.rounds ?? DEMO_DEFAULTS.rounds,
    // Commander fills defaults in, so a preset replaces a value only where it is the default.
    localEpochs:
      preset && flags.localEpochs === DEMO_DEFAULTS.localEpochs ? preset.localEpochs : flags.localEpochs,
    patientsPerSite: flags.patients ?? preset?.patientsPerSite ?? DEMO_DEFAULTS.patientsPerSite,
    imageSize: preset && flags.size === DEMO_DEFAULTS.imageSize ? preset.imageSize : flags.size,
    ...(preset
      ? { model: preset.model, batchSize: preset.batchSize, learningRate: preset.learningRate }
      : {}),
  };
  if (realistic) {
    const estimate = await estimateDemoTime(settings);
    process.stdout.write(`${describeEstimate(settings, estimate)}\n`);
  }
  const result = await runDemo({
    sites: settings.sites,
    rounds: settings.rounds,
    localEpochs: settings.localEpochs,
    patientsPerSite: settings.patientsPerSite,
    imageSize: settings.imageSize,
    model: settings.model,
    batchSize: settings.batchSize,
    learningRate: settings.learningRate,
    seed: flags.seed,
    ...(flags.dir ? { dir: flags.dir } : {}),
    ...(flags.keep ? { keep: true } : {}),
    privacy: {
      secureAggregation: secureAggregation && secureAggregationAllowed.allowed,
      differentialPrivacy: false,
      homomorphic: Boolean(flags.homomorphic),
    },
    ...(choice.strategy ? { strategy: choice.strategy } : {}),
    ...(choice.words ? { methodWords: choice.words } : {}),
  });
  process.stdout.write(`\n${formatDemoTable(result)}\n`);
  if (flags.keep || flags.dir)
    process.stdout.write(`The demo's sites, hub and studies are in ${result.directory}\n`);
  if (flags.json) {
    writeFileSync(resolve(flags.json), `${JSON.stringify(result, null, 2)}\n`);
    process.stdout.write(`Results written to ${resolve(flags.json)}\n`);
  }
}

/** `--dp`: DP fine-tuning of a public model (main/demo/dp-demo.ts); its time is estimated first. */
async function runDpCommand(flags: DemoFlags): Promise<void> {
  const refusedAsCliError = (error: unknown): never => {
    // The sites would refuse the task, or a flag asks for another run: say so and stop, nothing trained.
    if (error instanceof DemoRefusedError) throw new CliError(error.message);
    throw error;
  };
  let plan: DpDemoPlan;
  try {
    plan = dpDemoPlan(flags);
  } catch (error) {
    return refusedAsCliError(error);
  }
  process.stdout.write(`${await estimateDpDemo(plan)}\n`);
  const result = await runDpDemo(plan).catch(refusedAsCliError);
  process.stdout.write(`\n${formatDpDemoTable(result)}\n`);
  if (flags.keep || flags.dir)
    process.stdout.write(`The demo's sites, hub and studies are in ${result.directory}\n`);
  if (flags.json) {
    writeFileSync(resolve(flags.json), `${JSON.stringify(result, null, 2)}\n`);
    process.stdout.write(`Results written to ${resolve(flags.json)}\n`);
  }
}

/** `--method swarm`: the hospitals with no hub (main/demo/swarm-demo.ts); no privacy flags apply. */
async function runSwarmCommand(flags: DemoFlags): Promise<void> {
  if (flags.dp || flags.compare || flags.homomorphic || flags.secagg === false)
    throw new CliError(
      'The swarm demo always runs with secure aggregation and takes none of --dp, --compare, --homomorphic or --no-secagg.',
    );
  const result = await runSwarmDemo({
    sites: flags.sites,
    rounds: flags.rounds ?? DEMO_DEFAULTS.rounds,
    localEpochs: flags.localEpochs,
    patientsPerSite: flags.patients ?? DEMO_DEFAULTS.patientsPerSite,
    imageSize: flags.size,
    seed: flags.seed,
    ...(flags.dir ? { dir: flags.dir } : {}),
    ...(flags.keep ? { keep: true } : {}),
  });
  process.stdout.write(`\n${formatSwarmDemoTable(result)}\n`);
  if (flags.keep || flags.dir)
    process.stdout.write(`The demo's sites and studies are in ${result.directory}\n`);
  if (flags.json) {
    writeFileSync(resolve(flags.json), `${JSON.stringify(result, null, 2)}\n`);
    process.stdout.write(`Results written to ${resolve(flags.json)}\n`);
  }
}

/** `--compare`: every method on the same hospitals (main/demo/compare-demo.ts); it sets the protections itself. */
async function runCompareCommand(flags: DemoFlags): Promise<void> {
  if (
    flags.dp ||
    flags.homomorphic ||
    flags.secagg === false ||
    // Any --method but the default one (FedAvgM: no strategy of its own here).
    DEMO_METHOD_CHOICES[flags.method].strategy !== undefined ||
    flags.scale !== 'default'
  )
    throw new CliError(
      '--compare runs every method and every protection itself, at the default scale: leave out --method, --dp, ' +
        '--homomorphic, --no-secagg and --scale.',
    );
  const result = await runCompareDemo({
    sites: flags.sites,
    rounds: flags.rounds ?? COMPARE_DEFAULT_ROUNDS,
    localEpochs: flags.localEpochs,
    patientsPerSite: flags.patients ?? DEMO_DEFAULTS.patientsPerSite,
    imageSize: flags.size,
    seed: flags.seed,
    ...(flags.dir ? { dir: flags.dir } : {}),
    ...(flags.keep ? { keep: true } : {}),
  });
  process.stdout.write(`\n${formatCompareTable(result)}\n`);
  if (flags.keep || flags.dir)
    process.stdout.write(`The demo's sites, hub and studies are in ${result.directory}\n`);
  if (flags.json) {
    writeFileSync(resolve(flags.json), `${JSON.stringify(result, null, 2)}\n`);
    process.stdout.write(`Results written to ${resolve(flags.json)}\n`);
  }
}
