// Homomorphic rounds end to end: three real sites (real ingest, real training on tiny images) against a
// real hub on a loopback port. The hub carries the task key blind, adds encrypted updates and publishes
// their encrypted sum; each site decrypts it and takes the FedAvg step itself. Checked here: the
// decrypted sum equals the plain sum of the sites' real updates within the stated error bound; every
// site reaches the same model; the hub's folder and database hold no plaintext update, sum or model;
// and a round where one joined site sends nothing closes at its deadline with the other two.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { decodeWeights, weightDelta, type NamedTensor } from '../../../shared/federation/index.ts';
import { HubClient, openSealed, uploadContext } from '../../../shared/node/federation/index.ts';
import {
  decodePublishedSum,
  SiteCipher,
  summationErrorBound,
} from '../../../shared/node/homomorphic/index.ts';
import { approveTask, enrollSiteWithHub, runFederation, type SyncEvent } from './index.ts';
import { federationPaths, loadEnrollment } from './enrollment-store.ts';
import { loadHeldTaskKey } from './homomorphic-key.ts';
import { makeFederationFixture, type FederationFixture } from './testing/federation-fixture.ts';

let fixture: FederationFixture;

beforeAll(async () => {
  fixture = await makeFederationFixture({ sites: 3, patients: 6 });
  for (const site of fixture.sites) {
    await enrollSiteWithHub({ siteDir: site.dir, token: (await fixture.testHub.hub.createToken()).token });
  }
}, 120_000);
afterAll(async () => {
  await fixture?.cleanup();
});

const taskDir = (siteDir: string, taskId: string) => join(federationPaths(siteDir).tasks, taskId);

function run(sites: readonly { dir: string }[]) {
  const events: SyncEvent[][] = sites.map(() => []);
  const done = Promise.all(
    sites.map((site, i) =>
      runFederation({
        siteDir: site.dir,
        signal: new AbortController().signal,
        untilDone: true,
        waitSeconds: 2,
        rescanMs: 500,
        backend: 'cpu',
        retryBaseMs: 50,
        retryMaxMs: 200,
        onEvent: (event) => events[i]!.push(event),
      }),
    ),
  );
  return { events, done };
}

function story(list: readonly SyncEvent[]): string {
  return list
    .map((e) => `${e.type}${'reason' in e ? `: ${e.reason}` : ''}${'message' in e ? `: ${e.message}` : ''}`)
    .join(' | ');
}

/** Every file under a folder, with its bytes. */
function filesUnder(dir: string): { path: string; bytes: Buffer }[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [{ path, bytes: readFileSync(path) }];
  });
}

/**
 * The float32 bytes of 6 consecutive values of `set` that are all non-zero and (against `initial`, the
 * random weights the hub legitimately holds) all changed by training: bytes no plain blob would share
 * by chance.
 */
function needleOf(set: readonly NamedTensor[], initial: readonly NamedTensor[] | null): Buffer {
  for (const [t, tensor] of set.entries()) {
    for (let i = 0; i + 6 <= tensor.data.length; i += 1) {
      const window = tensor.data.slice(i, i + 6);
      const before = initial?.[t]?.data.slice(i, i + 6);
      if (window.every((value, k) => value !== 0 && (!before || value !== before[k])))
        return Buffer.from(new Float32Array(window).buffer);
    }
  }
  throw new Error('no window of trained values');
}

it('three sites train with homomorphic encryption: the hub adds ciphertexts it cannot read', async () => {
  const taskId = await fixture.createTask({
    name: 'homomorphic round',
    rounds: 2,
    quorum: 3,
    privacy: { homomorphic: true },
  });
  const { ctx } = fixture.testHub.hub;
  for (const site of fixture.sites) await approveTask(site.dir, taskId);
  const { events, done } = run(fixture.sites);
  const results = await done;
  for (const [i, result] of results.entries())
    expect(result.tasks[0], story(events[i]!)).toMatchObject({ taskId, state: 'completed' });
  expect((await ctx.store.models.latestModel(taskId))?.version).toBe(2);

  // Every site decrypted the same model, and the key never left a site unsealed.
  const models = fixture.sites.map((site) =>
    readFileSync(join(taskDir(site.dir, taskId), 'decrypted-models', 'v2.rfw')),
  );
  expect(models[1]!.equals(models[0]!)).toBe(true);
  expect(models[2]!.equals(models[0]!)).toBe(true);
  const held = loadHeldTaskKey(taskDir(fixture.sites[1]!.dir, taskId))!;
  expect(held.key.keyId.equals(loadHeldTaskKey(taskDir(fixture.sites[0]!.dir, taskId))!.key.keyId)).toBe(
    true,
  );

  // The decrypted sum of round 2 against the plain sum of the sites' own (real) encrypted updates.
  const cipher = await SiteCipher.withKey(held.parameters, held.key);
  try {
    const accepted = await ctx.store.uploads.acceptedUpdates(taskId, 2);
    expect(accepted).toHaveLength(3);
    const frames = await Promise.all(
      accepted.map(async (submission) =>
        openSealed(
          await ctx.store.blobs.read(submission.blob_sha256),
          ctx.keys.exchangeKey,
          uploadContext({ taskId, round: 2, siteId: submission.site_id, kind: 'delta' }),
        ),
      ),
    );
    for (const frame of frames) expect(() => decodeWeights(frame)).toThrow(); // not weights: a CKKS frame
    const plain = frames.map((frame) => cipher.decrypt(frame).values);
    const exact = plain[0]!.map((_, i) => plain.reduce((sum, values) => sum + values[i]!, 0));
    const sumRow = (await ctx.store.models.model(taskId, 2))!;
    const published = decodePublishedSum(await ctx.store.blobs.read(sumRow.blob_sha256));
    // The hub's receipt names the three sites whose updates it added.
    expect(published.receipt).toMatchObject({ taskId, round: 2, updates: 3 });
    expect(published.receipt.sites).toEqual(accepted.map((row) => row.site_id).sort());
    const decrypted = cipher.decrypt(published.frame);
    expect(decrypted.contributions).toBe(3);
    const bound = summationErrorBound(held.parameters, 3);
    let worst = 0;
    for (let i = 0; i < exact.length; i += 1)
      worst = Math.max(worst, Math.abs(decrypted.values[i]! - exact[i]!));
    expect(worst).toBeLessThanOrEqual(bound);
    // The weight slot: three sites' training images times the value range, within the bound.
    expect(Math.abs(decrypted.values[exact.length - 1]! - exact[exact.length - 1]!)).toBeLessThanOrEqual(
      bound,
    );
    expect(exact.some((value, i) => i < exact.length - 1 && value !== 0)).toBe(true);
  } finally {
    cipher.dispose();
  }

  // Scan the hub's folder (blobs, SQLite with its WAL) for the float32 bytes of the decrypted model
  // and of the round's mean change: neither may appear, in any blob or row.
  const v1 = decodeWeights(
    readFileSync(join(taskDir(fixture.sites[0]!.dir, taskId), 'decrypted-models', 'v1.rfw')),
  );
  const v2 = decodeWeights(models[0]!);
  const change = weightDelta(v2, v1);
  const v0 = decodeWeights(
    await ctx.store.blobs.read((await ctx.store.models.model(taskId, 0))!.blob_sha256),
  );
  const needles = [needleOf(v2, v0), needleOf(v1, v0), needleOf(change, null)];
  const hubFiles = filesUnder(fixture.testHub.dir);
  expect(hubFiles.length).toBeGreaterThan(5);
  for (const { path, bytes } of hubFiles) {
    for (const needle of needles) expect(bytes.includes(needle), path).toBe(false);
    // No blob is a plain model or update either (the initial model, version 0, is random weights).
    if (
      path.includes('blobs') &&
      !(await ctx.store.models.model(taskId, 0))?.blob_sha256.startsWith(path.slice(-64))
    )
      expect(() => decodeWeights(bytes), path).toThrow();
  }
  for (const version of [1, 2]) {
    const row = (await ctx.store.models.model(taskId, version))!;
    const published = decodePublishedSum(await ctx.store.blobs.read(row.blob_sha256));
    expect(Buffer.from(published.frame.subarray(0, 4)).toString()).toBe('RHE1');
  }
}, 400_000);

it('a round where one joined site sends nothing closes at its deadline with the other two', async () => {
  const taskId = await fixture.createTask({
    name: 'homomorphic dropout',
    rounds: 1,
    quorum: 2,
    roundDeadlineSeconds: 20,
    privacy: { homomorphic: true },
  });
  const { ctx } = fixture.testHub.hub;
  // The third site joins (so the key is sealed to it and the round waits for it), then goes silent.
  // A live site joins first: the first to join makes the key.
  const live = fixture.sites.slice(0, 2);
  for (const site of live) await approveTask(site.dir, taskId);
  await HubClient.fromEnrollment(loadEnrollment(live[0]!.dir)).joinTask(taskId);
  const silent = fixture.sites[2]!;
  await approveTask(silent.dir, taskId);
  const silentClient = HubClient.fromEnrollment(loadEnrollment(silent.dir));
  await silentClient.joinTask(taskId);
  const { events, done } = run(live);
  const results = await done;
  for (const [i, result] of results.entries()) {
    const outcome = result.tasks.find((task) => task.taskId === taskId);
    expect(outcome, story(events[i]!)).toMatchObject({ taskId, state: 'completed' });
  }
  const accepted = (await ctx.store.uploads.acceptedUpdates(taskId, 1)).map((row) => row.site_id);
  expect(accepted).toHaveLength(2);
  expect(accepted).not.toContain(silentClient.siteId);
  const held = loadHeldTaskKey(taskDir(live[0]!.dir, taskId))!;
  const cipher = await SiteCipher.withKey(held.parameters, held.key);
  try {
    const published = decodePublishedSum(
      await ctx.store.blobs.read((await ctx.store.models.model(taskId, 1))!.blob_sha256),
    );
    expect(published.receipt.sites).toEqual([...accepted].sort());
    const sum = cipher.decrypt(published.frame);
    expect(sum.contributions).toBe(2);
  } finally {
    cipher.dispose();
  }
}, 300_000);
