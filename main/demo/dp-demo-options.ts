// What `radfed demo --dp` runs, from the command's flags: DP fine-tuning of a public model's head at
// ε = 8 with secure aggregation, at DEMO_DP_PRESET's scale where --patients and --rounds are not given.
// The flags that ask for another run (another method, no secure aggregation, homomorphic encryption,
// the realistic scale), and a size whose sites would refuse the task, are refused with a sentence before
// anything is synthesised.
import { homedir } from 'node:os';
import { join } from 'node:path';
import { DEMO_DEFAULT_METHOD, DEMO_DEFAULTS, type DemoSettings } from './demo-options.ts';
import { DEMO_DP, DEMO_DP_PRESET, demoDpRefusal } from './demo-privacy.ts';
import { DemoRefusedError } from './run-demo.ts';

/** The command's flags this run reads (cli/demo-command.ts). */
export interface DpDemoFlags {
  readonly sites: number;
  readonly rounds?: number;
  readonly localEpochs: number;
  readonly patients?: number;
  readonly size: number;
  readonly seed: number;
  readonly dir?: string;
  readonly keep?: boolean;
  /** false: --no-secagg. */
  readonly secagg?: boolean;
  readonly homomorphic?: boolean;
  /** The method's name; only the default, FedAvgM ('fedavg'), runs with --dp. */
  readonly method: string;
  readonly scale: string;
}

/** The settings of the run and where it works. */
export interface DpDemoPlan {
  readonly settings: DemoSettings;
  readonly epsilon: number;
  readonly publicPatients: number;
  readonly pretrainEpochs: number;
  /** The public model's cache: the work folder when --dir is given, else the user's cache folder. */
  readonly publicModelDir: string;
  readonly dir?: string;
  readonly keep?: boolean;
}

/** The run `radfed demo --dp` asks for, or a DemoRefusedError that says which flag to leave out. */
export function dpDemoPlan(flags: DpDemoFlags, env: NodeJS.ProcessEnv = process.env): DpDemoPlan {
  const refused: string[] = [];
  // Only --method's default: the DP preset is FedAvgM's (any other value asks for another run).
  if (flags.method !== DEMO_DEFAULT_METHOD) refused.push(`--method ${flags.method}`);
  if (flags.secagg === false) refused.push('--no-secagg');
  if (flags.homomorphic) refused.push('--homomorphic');
  if (flags.scale !== 'default') refused.push(`--scale ${flags.scale}`);
  if (refused.length > 0)
    throw new DemoRefusedError(
      `radfed demo --dp runs DP fine-tuning by FedAvgM with secure aggregation, at the demo's scale: leave out ${refused.join(', ')}.`,
    );
  const settings: DemoSettings = {
    ...DEMO_DEFAULTS,
    sites: flags.sites,
    rounds: flags.rounds ?? DEMO_DP_PRESET.rounds,
    localEpochs: flags.localEpochs,
    patientsPerSite: flags.patients ?? DEMO_DP_PRESET.patientsPerSite,
    imageSize: flags.size,
    seed: flags.seed,
    model: DEMO_DP.model,
  };
  // Before the time estimate too: a run its own sites would refuse is not worth estimating.
  const refusal = demoDpRefusal(settings, DEMO_DP.budget.epsilon);
  if (refusal) throw new DemoRefusedError(refusal);
  return {
    settings,
    epsilon: DEMO_DP.budget.epsilon,
    publicPatients: DEMO_DP_PRESET.publicPatients,
    pretrainEpochs: DEMO_DP_PRESET.pretrainEpochs,
    publicModelDir: flags.dir ?? publicModelCache(env),
    ...(flags.dir ? { dir: flags.dir } : {}),
    ...(flags.keep ? { keep: true } : {}),
  };
}

/** Where a demo in a temporary folder keeps its public model, so that a second run skips pre-training. */
export function publicModelCache(env: NodeJS.ProcessEnv): string {
  const base =
    env.XDG_CACHE_HOME && env.XDG_CACHE_HOME.length > 0 ? env.XDG_CACHE_HOME : join(homedir(), '.cache');
  return join(base, 'radfed', 'demo');
}
