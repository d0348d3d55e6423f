// The demo's hub: created as the coordinator would (`radfed hub init`, `hub task create`, `hub token`),
// with the task's initial model made from the same seed every site would use. The main task has the
// protection a real task has by default (secure aggregation); `--compare` defines one task per method
// (compare-demo.ts), which the sites run one after another (never two at once on the same cores).
import { createServer } from 'node:net';
import { join } from 'node:path';
import {
  encodeWeights,
  taskDefinitionSchema,
  type NamedTensor,
  type TaskDefinition,
  type TaskDefinitionInput,
} from '../../shared/federation/index.ts';
import { createEnrollmentToken, createTask, definitionOf, initHub, openHubContext } from '../../hub/index.ts';
import { initialModelWeights, trainingTaskFor } from '../site/federation/index.ts';
import { demoTaskDefinition, type DemoSettings } from './demo-options.ts';
import {
  describeDemoPrivacy,
  privateTaskDefinition,
  wantsPrivateRun,
  type DemoPrivacy,
} from './demo-privacy.ts';

export interface DemoTask {
  readonly taskId: string;
  readonly definition: TaskDefinition;
  /** What protects the updates, in words ("secure aggregation", "no added protection"). */
  readonly protection: string;
  readonly privacy: DemoPrivacy;
}

export interface DemoHubSetup {
  readonly dir: string;
  readonly port: number;
  readonly url: string;
  /** The federation the demo shows: with secure aggregation unless `--no-secagg`. */
  readonly main: DemoTask;
  /** The task as the local-only and pooled baselines train it (no privacy: it is one machine). */
  readonly baselineDefinition: TaskDefinition;
  readonly tokens: string[];
  /** Raw float32 size of the task's model, the yardstick for bytes sent. */
  readonly modelBytes: number;
  /** The tasks' initial model: where the federation, and so the local-only and pooled models, start. */
  readonly initial: NamedTensor[];
}

/** One task the demo's hub defines: its definition, and its protection in words and as switches. */
export interface DemoTaskSpec {
  readonly input: TaskDefinitionInput;
  readonly protection: string;
  readonly privacy: DemoPrivacy;
}

/**
 * The demo's hub with its main task: the demo's task with the given protection, and `strategy` in
 * place of the demo's FedAvgM where given (`--method cyclic`, `--method split`).
 */
export async function setUpDemoHub(
  root: string,
  settings: DemoSettings,
  privacy: DemoPrivacy,
  strategy?: TaskDefinitionInput['strategy'],
): Promise<DemoHubSetup> {
  const plain = demoTaskDefinition(settings);
  const input = wantsPrivateRun(privacy) ? privateTaskDefinition(plain, privacy) : plain;
  const hub = await setUpDemoHubTasks(root, settings, [
    {
      input: strategy ? { ...input, strategy } : input,
      protection: describeDemoPrivacy(privacy),
      privacy,
    },
  ]);
  return { ...hub, main: hub.tasks[0]! };
}

/**
 * A hub with several tasks on the same hospitals (`--compare`), every one from the same initial
 * weights; the sites approve each just before it runs, so one federation runs at a time.
 */
export async function setUpDemoHubTasks(
  root: string,
  settings: DemoSettings,
  specs: readonly DemoTaskSpec[],
  /** The tasks' initial weights (`--dp`: the public pre-trained model); default: the seed-0 model. */
  initialWeights?: readonly NamedTensor[],
): Promise<Omit<DemoHubSetup, 'main'> & { readonly tasks: DemoTask[] }> {
  const dir = join(root, 'hub');
  const port = await freeLoopbackPort();
  const url = `https://127.0.0.1:${port}`;
  await initHub({ dir, name: 'RadFed demo hub', hosts: ['127.0.0.1', 'localhost'], port });
  const ctx = openHubContext(dir);
  try {
    const input = demoTaskDefinition(settings);
    // Weights that every site could make alike (the model's seed is fixed); the hub starts from them.
    const initial = initialWeights
      ? [...initialWeights]
      : await initialModelWeights(trainingTaskFor('demo', taskDefinitionSchema.parse(input)));
    const tasks: DemoTask[] = [];
    for (const spec of specs) {
      const row = await createTask(ctx, spec.input, encodeWeights(initial));
      tasks.push({
        taskId: row.id,
        definition: definitionOf(row),
        protection: spec.protection,
        privacy: spec.privacy,
      });
    }
    const tokens: string[] = [];
    for (let i = 0; i < settings.sites; i += 1)
      tokens.push((await createEnrollmentToken(ctx, { hubUrl: url, expiresInMs: 24 * 3600 * 1000 })).token);
    return {
      dir,
      port,
      url,
      tasks,
      baselineDefinition: taskDefinitionSchema.parse(input),
      tokens,
      modelBytes: initial.reduce((sum, t) => sum + t.data.byteLength, 0),
      initial,
    };
  } finally {
    await ctx.store.close();
  }
}

export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}
