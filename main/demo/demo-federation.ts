// One federation of the demo: the hospitals' site agents started as separate processes
// (`radfed site run --until-done`) for the one task they have approved, followed round by round until
// they all stop; then the task's last global model read from the hub's store. Federations run one
// after the other: two at once would share the cores, and each would be slow and uneven for it.
import { decodeWeights, type NamedTensor } from '../../shared/federation/index.ts';
import { findModel, listModels, openHubContext } from '../../hub/index.ts';
import type { DemoTask } from './demo-hub.ts';
import { startSiteProcess, type ChildHandle, type RadfedLauncher } from './demo-processes.ts';
import type { DemoSite } from './demo-sites.ts';
import { RoundTracker, type MissedSiteRound, type RoundFigures } from './round-tracker.ts';

export interface FederationRun {
  readonly task: DemoTask;
  /** Wall time from the site agents' start to the last one's stop. */
  readonly seconds: number;
  readonly rounds: RoundFigures[];
  readonly missed: MissedSiteRound[];
}

export async function runDemoFederation(options: {
  readonly task: DemoTask;
  readonly sites: readonly DemoSite[];
  readonly launcher: RadfedLauncher;
  readonly threadsPerSite: number;
  readonly say: (line: string) => void;
}): Promise<FederationRun> {
  const { task, sites } = options;
  const protection = task.privacy.homomorphic
    ? 'homomorphic'
    : task.privacy.secureAggregation
      ? 'masked'
      : 'plain';
  const tracker = new RoundTracker(sites.length, options.say, undefined, protection);
  const started = performance.now();
  const children: ChildHandle[] = [];
  try {
    for (const site of sites) {
      children.push(
        startSiteProcess(options.launcher, site.name, site.dir, options.threadsPerSite, (event) => {
          // A site also follows tasks it ran before (they end at once): only this task's events count.
          if ('taskId' in event && event.taskId === task.taskId) tracker.on(site.name, event);
        }),
      );
    }
    options.say(`${sites.length} site agents started as separate processes; rounds begin.`);
    const codes = await Promise.all(children.map((child) => child.exited));
    const failed = codes.findIndex((code) => code !== 0);
    if (failed >= 0) {
      throw new Error(
        `The site agent of ${children[failed]!.name} stopped with an error:\n${children[failed]!.errorTail()}`,
      );
    }
  } finally {
    await Promise.all(children.map((child) => child.stop()));
    tracker.flush();
  }
  return {
    task,
    seconds: (performance.now() - started) / 1000,
    rounds: tracker.figures(),
    missed: [...tracker.missed],
  };
}

/**
 * The task's last `count` published global models, the last first (read from the stopped hub's
 * store). The last is the federation's result, kept by the same rule as the baselines (the end of
 * training, no pick by validation); the ones before it show how much the result moves from round to round.
 */
export async function loadLastGlobalModels(
  hubDir: string,
  taskId: string,
  count: number,
): Promise<{ version: number; weights: NamedTensor[] }[]> {
  const ctx = openHubContext(hubDir);
  try {
    const published = (await listModels(ctx, taskId))
      .filter((m) => m.version >= 1)
      .sort((a, b) => b.version - a.version)
      .slice(0, count);
    if (published.length === 0)
      throw new Error('The federation published no global model; see the messages above.');
    const models: { version: number; weights: NamedTensor[] }[] = [];
    for (const m of published) {
      const row = await findModel(ctx, taskId, m.version);
      models.push({
        version: m.version,
        weights: decodeWeights(await ctx.store.blobs.read(row.blob_sha256)),
      });
    }
    return models;
  } finally {
    await ctx.store.close();
  }
}
