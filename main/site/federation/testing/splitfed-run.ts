// For the split-learning round specs: run real site agents on a task until it is done (their events
// kept, and printed with SPLIT_SPEC_TRACE=1, the training steps too with SPLIT_SPEC_TRACE=all), tell a
// site's story from its events, and evaluate a published model with the hub's own segments (the trunk,
// and the head with label sharing) as the trunk keeper holds them now, on the held-out images of the
// fixture's sites.
import { decodeWeights, type NamedTensor } from '../../../../shared/federation/index.ts';
import { buildCohort } from '../../cohort/index.ts';
import { openSite } from '../../store/index.ts';
import type { TrunkKeeper } from '../../train/split/index.ts';
import { evaluateWeights, runFederation, type SyncEvent } from '../index.ts';
import { trainingTaskFor } from '../training-task.ts';
import { COHORT_TASK, type FederationFixture } from './federation-fixture.ts';

/** Runs every site's agent until its tasks are done; `signals` stop a site's agent mid-round. */
export function runSplitSites(sites: readonly { dir: string }[], signals: AbortSignal[] = []) {
  const events: SyncEvent[][] = sites.map(() => []);
  const done = Promise.allSettled(
    sites.map((site, i) =>
      runFederation({
        siteDir: site.dir,
        signal: signals[i] ?? new AbortController().signal,
        untilDone: true,
        waitSeconds: 2,
        rescanMs: 500,
        backend: 'wasm',
        retryBaseMs: 50,
        retryMaxMs: 200,
        onEvent: (event) => {
          events[i]!.push(event);
          const trace = process.env.SPLIT_SPEC_TRACE;
          if (trace && (event.type !== 'training' || trace === 'all'))
            process.stderr.write(`site ${i}: ${JSON.stringify(event)}\n`);
        },
      }),
    ),
  );
  return { events, done };
}

/** A site's events in one line, for an assertion's message. */
export function splitStory(list: readonly SyncEvent[]): string {
  return list
    .map((e) => `${e.type}${'reason' in e ? `: ${e.reason}` : ''}${'message' in e ? `: ${e.message}` : ''}`)
    .join(' | ');
}

/**
 * Version `version` of the task's model with the hub's segments as the keeper holds them now (or,
 * `initialTrunk`, as they are in the published model: the initial ones), on every fixture site's
 * held-out images, the whole cohort of `unseenSite` (never trained on) included.
 */
export async function evaluateWithHubSegments(
  context: { fixture: FederationFixture; keeper: TrunkKeeper; unseenSite?: { dir: string } },
  taskId: string,
  version: number,
  initialTrunk = false,
) {
  const { fixture, keeper, unseenSite } = context;
  const { ctx } = fixture.testHub.hub;
  const row = (await ctx.store.models.model(taskId, version))!;
  const trunk = keeper.trunks.get(taskId)!;
  const hubValues = new Map(
    trunk.trunk.parameters.map((p) => [p.name, p.variable.dataSync() as Float32Array]),
  );
  const weights: NamedTensor[] = decodeWeights(await ctx.store.blobs.read(row.blob_sha256)).map((t) => ({
    ...t,
    data: (initialTrunk ? undefined : hubValues.get(t.name)) ?? t.data,
  }));
  const items = fixture.sites.flatMap((site) => {
    const opened = openSite(site.dir);
    try {
      const cohort = buildCohort(opened, COHORT_TASK.id);
      return site === unseenSite ? [...cohort.train, ...cohort.validation] : cohort.validation;
    } finally {
      opened.database.close();
    }
  });
  const definition = JSON.parse((await ctx.store.tasks.task(taskId))!.definition) as Parameters<
    typeof trainingTaskFor
  >[1];
  return evaluateWeights({ task: trainingTaskFor(taskId, definition), weights, items, backend: 'cpu' });
}
