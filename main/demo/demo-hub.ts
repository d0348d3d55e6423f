// The demo's hub: created as the coordinator would (`radfed hub init`, `hub task create`, `hub token`),
// with the task's initial model made from the same seed every site would use. The main task has the
// protection a real task has by default (secure aggregation); `--compare` adds the same task without
// it, which the sites run after the main one (never both at once on the same cores).
import { createServer } from 'node:net';
import { join } from 'node:path';
import { encodeWeights, taskDefinitionSchema, type TaskDefinition } from '../../shared/federation/index.ts';
import { createEnrollmentToken, createTask, definitionOf, initHub, openHubContext } from '../../hub/index.ts';
import { initialModelWeights, trainingTaskFor } from '../site/federation/index.ts';
import { demoTaskDefinition, type DemoSettings } from './demo-options.ts';
import {
  describeDemoPrivacy,
  PLAIN_FEDERATION,
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
  /** The same task with no added protection (`--compare`), run after the main one; null otherwise. */
  readonly plain: DemoTask | null;
  /** The task as the local-only and pooled baselines train it (no privacy: it is one machine). */
  readonly baselineDefinition: TaskDefinition;
  readonly tokens: string[];
  /** Raw float32 size of the task's model, the yardstick for bytes sent. */
  readonly modelBytes: number;
}

export async function setUpDemoHub(
  root: string,
  settings: DemoSettings,
  privacy: DemoPrivacy,
  compare = false,
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
    const protectedRun = wantsPrivateRun(privacy);
    const mainRow = await createTask(
      ctx,
      protectedRun ? privateTaskDefinition(input, privacy) : input,
      encodeWeights(initial),
    );
    const plainRow = compare && protectedRun ? await createTask(ctx, input, encodeWeights(initial)) : null;
    const tokens: string[] = [];
    for (let i = 0; i < settings.sites; i += 1)
      tokens.push((await createEnrollmentToken(ctx, { hubUrl: url, expiresInMs: 3600 * 1000 })).token);
    return {
      dir,
      port,
      url,
      main: {
        taskId: mainRow.id,
        definition: definitionOf(mainRow),
        protection: describeDemoPrivacy(privacy),
        privacy,
      },
      plain: plainRow
        ? {
            taskId: plainRow.id,
            definition: definitionOf(plainRow),
            protection: describeDemoPrivacy(PLAIN_FEDERATION),
            privacy: PLAIN_FEDERATION,
          }
        : null,
      baselineDefinition: taskDefinitionSchema.parse(input),
      tokens,
      modelBytes: initial.reduce((sum, t) => sum + t.data.byteLength, 0),
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
