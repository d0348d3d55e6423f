// For the split-learning round specs: a federation fixture whose hub keeps its split tasks' trunks as
// `radfed hub serve` does (TrunkKeeper); run real site agents on a task until it is done (their events
// kept, and printed with SPLIT_SPEC_TRACE=1, the training steps too with SPLIT_SPEC_TRACE=all), tell a
// site's story from its events, read a published version's weights and how far each tensor moved, and
// evaluate a published model with the hub's own segments (the trunk, and the head with label sharing) as
// the trunk keeper holds them now, on the held-out images of the fixture's sites.
import { afterAll, beforeAll } from 'vitest';
import { activeSplitTasks } from '../../../../hub/split/index.ts';
import { decodeWeights, type NamedTensor } from '../../../../shared/federation/index.ts';
import { buildCohort } from '../../cohort/index.ts';
import { openSite } from '../../store/index.ts';
import { selectBackend } from '../../train/index.ts';
import { TrunkKeeper } from '../../train/split/index.ts';
import { enrollSiteWithHub, evaluateWeights, runFederation, type SyncEvent } from '../index.ts';
import { trainingTaskFor } from '../training-task.ts';
import { COHORT_TASK, makeFederationFixture, type FederationFixture } from './federation-fixture.ts';

export interface SplitFederation {
  readonly fixture: FederationFixture;
  /** Serves the trunk of each active split task at the fixture's hub (it looks every 200 ms). */
  readonly keeper: TrunkKeeper;
  /** The sites enrolled with the hub: the first `enrolled` of the fixture's. */
  readonly enrolled: FederationFixture['sites'];
  /** The others, never enrolled: their whole cohorts join the held-out images as a test set. */
  readonly unseen: FederationFixture['sites'];
  close(): Promise<void>;
}

/**
 * A fixture of `sites` sites with `patients` patients each, the first `enrolled` (all, unless said)
 * enrolled with its hub, and a started TrunkKeeper on that hub.
 */
export async function startSplitFederation(options: {
  sites: number;
  patients: number;
  enrolled?: number;
}): Promise<SplitFederation> {
  // One backend for the process before several sites ask for it at once (each site is its own process
  // outside tests; first selections racing in one process can fail to start WebAssembly).
  await selectBackend({ choice: 'wasm' });
  const fixture = await makeFederationFixture({ sites: options.sites, patients: options.patients });
  const enrolled = fixture.sites.slice(0, options.enrolled ?? options.sites);
  const { hub } = fixture.testHub;
  let keeper: TrunkKeeper | undefined;
  try {
    for (const site of enrolled) {
      await enrollSiteWithHub({ siteDir: site.dir, token: (await hub.createToken()).token });
    }
    keeper = new TrunkKeeper({
      splitTasks: () => activeSplitTasks(hub.ctx),
      serveTrunk: (taskId, engine) => hub.split.serveTrunk(taskId, engine),
      pollMs: 200,
    });
    await keeper.start();
  } catch (error) {
    keeper?.close();
    await fixture.cleanup();
    throw error;
  }
  const started = keeper;
  return {
    fixture,
    keeper: started,
    enrolled,
    unseen: fixture.sites.slice(enrolled.length),
    close: async () => {
      started.close();
      await fixture.cleanup();
    },
  };
}

/**
 * A spec file's split federation: started before its tests (given two minutes: ingest, enrollment, the
 * trunks) and closed after them. Call at the top of the file; the getter gives the federation in a test.
 */
export function useSplitFederation(
  options: Parameters<typeof startSplitFederation>[0],
): () => SplitFederation {
  let split: SplitFederation | undefined;
  beforeAll(async () => {
    split = await startSplitFederation(options);
  }, 120_000);
  afterAll(() => split?.close());
  return () => {
    if (!split) throw new Error('The split federation is read inside a test, once beforeAll has started it.');
    return split;
  };
}

/**
 * Runs every site's agent until its tasks are done; `signals` stop a site's agent mid-round, and
 * `onEvent` sees each event as it comes (after it is kept).
 */
export function runSplitSites(
  sites: readonly { dir: string }[],
  signals: AbortSignal[] = [],
  onEvent?: (site: number, event: SyncEvent) => void,
) {
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
          onEvent?.(i, event);
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

/** The tensors of version `version` of the task's model as the hub published them. */
export async function publishedWeights(
  fixture: FederationFixture,
  taskId: string,
  version: number | 'latest',
): Promise<NamedTensor[]> {
  const { models, blobs } = fixture.testHub.hub.ctx.store;
  const row = version === 'latest' ? await models.latestModel(taskId) : await models.model(taskId, version);
  return decodeWeights(await blobs.read(row!.blob_sha256));
}

/**
 * How far each tensor moved from `initial` to `last` (its largest change in one value), split into the
 * hub's tensors (named in `hubNames`) and the sites'.
 */
export function movesBySide(
  initial: readonly NamedTensor[],
  last: readonly NamedTensor[],
  hubNames: ReadonlySet<string>,
): { hub: number[]; site: number[] } {
  const moved = (i: number) =>
    last[i]!.data.reduce((most, v, k) => Math.max(most, Math.abs(v - initial[i]!.data[k]!)), 0);
  return {
    hub: last.flatMap((t, i) => (hubNames.has(t.name) ? [moved(i)] : [])),
    site: last.flatMap((t, i) => (hubNames.has(t.name) ? [] : [moved(i)])),
  };
}

/**
 * Version `version` of the task's model with the hub's segments as the keeper holds them now (or,
 * `initialTrunk`, as they are in the published model: the initial ones), on every fixture site's
 * held-out images, the whole cohorts of the unseen sites (never trained on) included.
 */
export async function evaluateWithHubSegments(
  split: SplitFederation,
  taskId: string,
  version: number,
  initialTrunk = false,
) {
  const { fixture, keeper, unseen } = split;
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
      return unseen.includes(site) ? [...cohort.train, ...cohort.validation] : cohort.validation;
    } finally {
      opened.database.close();
    }
  });
  const definition = JSON.parse((await ctx.store.tasks.task(taskId))!.definition) as Parameters<
    typeof trainingTaskFor
  >[1];
  return evaluateWeights({ task: trainingTaskFor(taskId, definition), weights, items, backend: 'cpu' });
}
