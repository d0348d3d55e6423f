// Helpers for the hub's tests and benchmarks: a real hub in a temporary folder on a loopback port,
// sites enrolled through the real protocol, and small weight sets.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  enrollSite,
  HubClient,
  type SealedUpdate,
  type SiteEnrollment,
} from '../../shared/node/federation/index.ts';
import {
  hubPaths,
  type NamedTensor,
  taskDefinitionSchema,
  type TaskDefinitionInput,
  type TaskView,
  type UploadStatus,
  uploadStatusSchema,
} from '../../shared/federation/index.ts';
import { initHub } from '../setup/index.ts';
import { writeStoreChoice } from '../store-choice.ts';
import { startHub, type RunningHub, type StartHubOptions } from '../server/start-hub.ts';
import type { RoundRow } from '../store/index.ts';
import { postgresTestDatabaseUrl, testBlobs, testDatabaseUrl } from './test-engine.ts';

export interface TestHub {
  readonly hub: RunningHub;
  readonly dir: string;
  /** Moves the hub's clock (not the sites'): tests of expiry and deadlines. */
  shiftClock(ms: number): void;
  cleanup(): Promise<void>;
}

export type TestHubOptions = Partial<Omit<StartHubOptions, 'dir' | 'now'>> & {
  hosts?: string[];
  /** Blobs and upload spools in PostgreSQL (`--blobs postgres`), on PostgreSQL whatever the engine. */
  blobsInPostgres?: boolean;
};

export async function makeTestHub(options: TestHubOptions = {}): Promise<TestHub> {
  const root = mkdtempSync(join(tmpdir(), 'radfed-hub-'));
  const dir = join(root, 'hub');
  const { hosts, blobsInPostgres, ...start } = options;
  await initHub({ dir, name: 'test hub', ...(hosts ? { hosts } : {}) });
  // Recorded in the folder, so a spec that restarts the hub from its folder finds the same database.
  const database = blobsInPostgres ? await postgresTestDatabaseUrl() : await testDatabaseUrl();
  if (database) {
    const inPostgres = blobsInPostgres ?? testBlobs() === 'postgres';
    writeStoreChoice(dir, { database, ...(inPostgres ? { blobs: { kind: 'postgres' as const } } : {}) });
  }
  let offset = 0;
  const hub = await startHub({
    port: 0,
    logger: false,
    tickMs: 100,
    ...start,
    dir,
    now: () => Date.now() + offset,
  });
  return {
    hub,
    dir,
    shiftClock: (ms) => {
      offset += ms;
    },
    cleanup: async () => {
      await hub.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

export async function enrollTestSite(
  hub: RunningHub,
  siteName: string,
  extra: { now?: () => number } = {},
): Promise<EnrolledTestSite> {
  const enrollment = await enrollSite({ token: (await hub.createToken()).token, siteName });
  return { client: HubClient.fromEnrollment(enrollment, extra), enrollment };
}

export interface EnrolledTestSite {
  client: HubClient;
  enrollment: SiteEnrollment;
}

/** A test hub and its sites, enrolled in the order of `names`: the set-up most hub specs share. */
export interface TestHubWithSites<Names extends readonly string[]> {
  test: TestHub;
  /** Each site's client, in the order of the names. */
  clients: { -readonly [K in keyof Names]: HubClient };
  /** Each site's client with its enrollment (keys, pinned certificate), in the order of the names. */
  sites: { -readonly [K in keyof Names]: EnrolledTestSite };
}

export async function makeTestHubWithSites<const Names extends readonly string[]>(
  names: Names,
  options: TestHubOptions = {},
): Promise<TestHubWithSites<Names>> {
  const test = await makeTestHub(options);
  const sites: EnrolledTestSite[] = [];
  // One at a time: the specs name sites by their order of enrollment.
  for (const name of names) sites.push(await enrollTestSite(test.hub, name));
  // The arrays hold one entry per name, in order: the tuple types say just that.
  return {
    test,
    clients: sites.map((site) => site.client) as TestHubWithSites<Names>['clients'],
    sites: sites as TestHubWithSites<Names>['sites'],
  };
}

export function testTask(overrides: Partial<TaskDefinitionInput> = {}): TaskDefinitionInput {
  return {
    name: 'pneumonia',
    model: { name: 'reference-cnn' },
    input: { size: 64 },
    labels: ['normal', 'pneumonia'],
    rounds: 3,
    localEpochs: 1,
    batchSize: 8,
    optimizer: { name: 'adam', learningRate: 0.001 },
    strategy: { name: 'fedavg' },
    quorum: 2,
    roundDeadlineSeconds: 60,
    compression: 'none',
    // Most hub tests send plain updates; the secure-aggregation tests switch it on (it is the default).
    privacy: { secureAggregation: false },
    ...overrides,
  };
}

/** A task as a site sees it (joined, active, one global model), for tests of what sites show. */
export function testTaskView(
  overrides: Partial<TaskDefinitionInput> = {},
  view: Partial<Omit<TaskView, 'definition'>> = {},
): TaskView {
  return {
    id: 'task-1',
    state: 'active',
    definition: taskDefinitionSchema.parse(testTask(overrides)),
    createdAt: new Date(0).toISOString(),
    joined: true,
    latestVersion: 1,
    failureReason: null,
    ...view,
  };
}

/** A small model: a conv kernel, a batch-norm layer and a dense layer, filled from a seed. */
export function testWeights(seed = 1, scale = 0.1, denseUnits = 2): NamedTensor[] {
  let state = seed >>> 0 || 1;
  const random = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return (state / 2 ** 32 - 0.5) * 2 * scale;
  };
  const tensor = (name: string, shape: number[]) => ({
    name,
    shape,
    data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, random),
  });
  return [
    tensor('conv2d/kernel', [3, 3, 1, 4]),
    tensor('conv2d/bias', [4]),
    tensor('batch_normalization/gamma', [4]),
    tensor('batch_normalization/beta', [4]),
    tensor('batch_normalization/moving_mean', [4]),
    tensor('batch_normalization/moving_variance', [4]),
    tensor('dense/kernel', [4, denseUnits]),
    tensor('dense/bias', [denseUnits]),
  ];
}

/** Polls `check` (advancing the hub each time) until it returns a value, or fails after timeoutMs. */
export async function waitFor<T>(
  hub: RunningHub,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  what: string,
  timeoutMs = 20_000,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    await hub.advance();
    const value = await check();
    if (value) return value;
    if (Date.now() > until) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Waits until the task's latest round collects updates; returns that round. */
export async function waitForCollecting(hub: RunningHub, taskId: string): Promise<RoundRow> {
  return waitFor(
    hub,
    async () => {
      const round = await hub.ctx.store.tasks.latestRound(taskId);
      return round?.state === 'collecting' && round;
    },
    'collection',
  );
}

/** Downloads the round's base model and uploads base-shaped `value`s as this site's update. */
export async function sendDelta(
  client: HubClient,
  taskId: string,
  fill: number | ((name: string, index: number) => number),
  examples: number,
  compression: 'none' | 'float16' | 'int8' = 'none',
) {
  const view = await client.getRound(taskId);
  const { weights, meta } = await client.downloadModel(taskId, view.baseVersion ?? 'latest');
  const delta = weights.map((tensor) => ({
    ...tensor,
    data: tensor.data.map((_, i) => (typeof fill === 'number' ? fill : fill(tensor.name, i))),
  }));
  const sealed = client.seal({
    taskId,
    round: view.round ?? 0,
    kind: 'delta',
    weights: delta,
    baseVersion: meta.version,
    examples,
    compression,
  });
  return { ...(await client.uploadSealed(taskId, sealed)), delta, base: weights };
}

/**
 * Declares an upload of `update` (its round and kind) in chunks of `chunkBytes` and sends its first
 * `chunks` chunks, as a site cut off part way does; returns the hub's answer to the declaration.
 */
export async function startChunkedUpload(
  client: HubClient,
  taskId: string,
  update: SealedUpdate,
  { chunkBytes = 1024, chunks = 1 }: { chunkBytes?: number; chunks?: number } = {},
): Promise<UploadStatus> {
  const started = await client.call(uploadStatusSchema, 'POST', hubPaths.uploads(taskId), {
    round: update.round,
    kind: update.kind,
    bytes: update.sealed.byteLength,
    sha256: update.sha256,
    chunkBytes,
  });
  for (let index = 0; index < chunks; index += 1) {
    await client.send(
      'PUT',
      hubPaths.chunk(started.uploadId, index),
      update.sealed.subarray(index * chunkBytes, (index + 1) * chunkBytes),
      'application/octet-stream',
    );
  }
  return started;
}
