// What goes wrong on the way: a site killed in the middle of its upload resumes where the hub stopped
// receiving (without training again), and an update the hub refuses (NaN) comes back with the reason.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeWeights } from '../../../shared/federation/index.ts';
import { HubClient } from '../../../shared/node/federation/index.ts';
import {
  approveTask,
  describeSyncEvent,
  enrollSiteWithHub,
  federationPaths,
  initialModelWeights,
  loadEnrollment,
  runFederation,
  sealUpdateToDisk,
  sendSealedUpdate,
  trainingTaskFor,
  type SyncEvent,
} from './index.ts';
import { fixtureTask, makeFederationFixture, type FederationFixture } from './testing/federation-fixture.ts';

let fixture: FederationFixture;
const CHUNK = 64 * 1024;

beforeAll(async () => {
  fixture = await makeFederationFixture({ sites: 2, patients: 8 });
  for (const site of fixture.sites) {
    await enrollSiteWithHub({ siteDir: site.dir, token: (await fixture.testHub.hub.createToken()).token });
  }
}, 60_000);
afterAll(async () => {
  await fixture?.cleanup();
});

function run(siteDir: string, signal: AbortSignal, onEvent: (event: SyncEvent) => void) {
  return runFederation({
    siteDir,
    signal,
    untilDone: true,
    waitSeconds: 2,
    rescanMs: 300,
    backend: 'cpu',
    chunkBytes: CHUNK,
    onEvent,
  });
}

describe('a site killed mid-upload', () => {
  it('resumes the same upload after a restart, from the bytes the hub holds, without training again', async () => {
    const taskId = await fixture.createTask({
      name: 'resume',
      rounds: 1,
      quorum: 2,
      compression: 'none',
      privacy: { secureAggregation: false },
    });
    const [first, second] = fixture.sites as [(typeof fixture.sites)[0], (typeof fixture.sites)[0]];
    for (const site of fixture.sites) await approveTask(site.dir, taskId);
    const other = run(second.dir, new AbortController().signal, () => undefined);

    const killed = new AbortController();
    await run(first.dir, killed.signal, (event) => {
      if (event.type === 'uploading' && event.sentBytes >= 2 * CHUNK) {
        killed.abort(); // the process dies here: nothing after this chunk is sent
        throw new Error('killed');
      }
    });
    const state = JSON.parse(
      readFileSync(join(federationPaths(first.dir).tasks, taskId, 'state.json'), 'utf8'),
    );
    expect(state.current).toMatchObject({ round: 1, phase: 'sealed' });
    const upload = await fixture.testHub.hub.ctx.store.uploads.upload(state.current.uploadId);
    expect(upload?.received_bytes).toBe(2 * CHUNK);
    expect(upload?.state).toBe('receiving');

    const events: SyncEvent[] = [];
    await run(first.dir, new AbortController().signal, (event) => events.push(event));
    await other;
    const submitted = events.find((e) => e.type === 'submitted');
    expect(submitted).toMatchObject({ round: 1, resumedFromBytes: 2 * CHUNK });
    expect(describeSyncEvent(submitted!)).toMatch(/resumed after 0\.13 MB/);
    expect(events.some((e) => e.type === 'trained' || e.type === 'round-started')).toBe(false);
    expect((await fixture.testHub.hub.ctx.store.uploads.upload(state.current.uploadId))?.state).toBe(
      'complete',
    );
    expect((await fixture.testHub.hub.ctx.store.models.latestModel(taskId))?.version).toBe(1);
  }, 120_000);
});

describe('a site killed mid-training', () => {
  it('resumes from the last completed epoch of the round', async () => {
    const taskId = await fixture.createTask({
      name: 'resume training',
      rounds: 1,
      quorum: 1,
      localEpochs: 3,
      privacy: { secureAggregation: false },
    });
    const site = fixture.sites[0]!;
    await approveTask(site.dir, taskId);
    const killed = new AbortController();
    await run(site.dir, killed.signal, (event) => {
      if (event.type === 'training' && event.taskId === taskId && event.epoch >= 1) killed.abort();
    });
    const state = JSON.parse(
      readFileSync(join(federationPaths(site.dir).tasks, taskId, 'state.json'), 'utf8'),
    );
    expect(state.current).toMatchObject({ round: 1, phase: 'training' });
    const events: SyncEvent[] = [];
    await run(site.dir, new AbortController().signal, (event) => events.push(event));
    const trained = events.find((e) => e.type === 'trained' && e.taskId === taskId);
    expect(trained).toMatchObject({ round: 1, resumedFromEpoch: 1 });
    expect(events.find((e) => e.type === 'round-started' && e.taskId === taskId)).toMatchObject({
      resumed: true,
    });
    expect((await fixture.testHub.hub.ctx.store.models.latestModel(taskId))?.version).toBe(1);
  }, 120_000);
});

describe('an update the hub refuses', () => {
  it('comes back with the hub\u2019s reason (NaN values), and float16 refuses it before sending', async () => {
    const definition = fixtureTask({
      name: 'nan',
      rounds: 1,
      quorum: 1,
      compression: 'none',
      privacy: { secureAggregation: false },
    });
    const site = fixture.sites[0]!;
    const client = HubClient.fromEnrollment(loadEnrollment(site.dir));
    const probe = await fixture.createTask(definition); // only to get a task id for the engine's task
    const global = await initialModelWeights(
      trainingTaskFor(probe, (await client.getTask(probe)).definition),
    );
    const taskId = await fixture.createTask(definition, encodeWeights(global));
    await client.joinTask(taskId);
    await fixture.testHub.hub.advance();
    const round = await client.getRound(taskId);
    expect(round).toMatchObject({ state: 'collecting', mayUpload: true });
    const local = global.map((t, i) =>
      i === 0 ? { ...t, data: t.data.map((v, k) => (k === 3 ? Number.NaN : v)) } : t,
    );
    const dir = join(fixture.root, 'nan-update');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(dir, { recursive: true });
    // This site checks before sealing, and says why:
    for (const compression of ['none', 'float16'] as const) {
      expect(() =>
        sealUpdateToDisk(client, dir, {
          taskId,
          round: 1,
          baseVersion: 0,
          local,
          global,
          examples: 10,
          compression,
        }),
      ).toThrow(/has 1 value that is not finite.*lower the learning rate/);
    }
    // A site without that check (an older version, a bug) is stopped by the hub, which says why.
    const sealed = client.seal({
      taskId,
      round: 1,
      kind: 'delta',
      weights: local.map((t, i) => ({ ...t, data: t.data.map((v, k) => v - global[i]!.data[k]!) })),
      baseVersion: 0,
      examples: 10,
      compression: 'none',
    });
    const outcome = await sendSealedUpdate(client, taskId, sealed);
    expect(outcome.kind).toBe('refused');
    const reason = outcome.kind === 'refused' ? outcome.reason : '';
    expect(reason).toMatch(/Tensor "stem\/conv\/kernel" has 1 value that is not finite \(NaN or infinity\)/);
    expect(describeSyncEvent({ type: 'refused', taskId, round: 1, reason })).toMatch(
      /^Round 1: the hub refused this site's update: .*lower the learning rate/,
    );
  });
});
