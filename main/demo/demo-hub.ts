// The demo's hub: created as the coordinator would (`radfed hub init`, `hub task create`, `hub token`),
// with the task's initial model made from the same seed every site would use.
import { createServer } from 'node:net';
import { join } from 'node:path';
import { encodeWeights, taskDefinitionSchema, type TaskDefinition } from '../../shared/federation/index.ts';
import { createEnrollmentToken, createTask, definitionOf, initHub, openHubContext } from '../../hub/index.ts';
import { initialModelWeights, trainingTaskFor } from '../site/federation/index.ts';
import { demoTaskDefinition, type DemoSettings } from './demo-options.ts';
import { privateTaskDefinition, wantsPrivateRun, type DemoPrivacy } from './demo-privacy.ts';

export interface DemoHubSetup {
  readonly dir: string;
  readonly port: number;
  readonly url: string;
  readonly taskId: string;
  readonly definition: TaskDefinition;
  /** The same task with secure aggregation and/or differential privacy (`--secagg`, `--dp`), run beside it. */
  readonly privateTask: { readonly taskId: string; readonly definition: TaskDefinition } | null;
  readonly tokens: string[];
  /** Raw float32 size of the task's model, the yardstick for bytes sent. */
  readonly modelBytes: number;
}

export async function setUpDemoHub(
  root: string,
  settings: DemoSettings,
  privacy: DemoPrivacy = { secureAggregation: false, differentialPrivacy: false },
): Promise<DemoHubSetup> {
  const dir = join(root, 'hub');
  const port = await freeLoopbackPort();
  const url = `https://127.0.0.1:${port}`;
  await initHub({ dir, name: 'RadFed demo hub', hosts: ['127.0.0.1', 'localhost'], port });
  const ctx = openHubContext(dir);
  try {
    const input = demoTaskDefinition(settings);
    // Weights that every site could make alike (the model's seed is fixed); the hub starts from them.
    const initial = await initialModelWeights(trainingTaskFor('demo', taskDefinitionSchema.parse(input)));
    const task = createTask(ctx, input, encodeWeights(initial));
    const privateTask = wantsPrivateRun(privacy)
      ? createTask(ctx, privateTaskDefinition(input, privacy), encodeWeights(initial))
      : null;
    const tokens = Array.from(
      { length: settings.sites },
      () => createEnrollmentToken(ctx, { hubUrl: url, expiresInMs: 3600 * 1000 }).token,
    );
    return {
      dir,
      port,
      url,
      taskId: task.id,
      definition: definitionOf(task),
      privateTask: privateTask ? { taskId: privateTask.id, definition: definitionOf(privateTask) } : null,
      tokens,
      modelBytes: initial.reduce((sum, t) => sum + t.data.byteLength, 0),
    };
  } finally {
    ctx.store.close();
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
