// A real secure round: three sites (real ingest, real training on tiny images) take part in SecAgg+
// against a real hub. The hub publishes the next model while holding only masked vectors and the
// self-mask shares of the three survivors; nothing was revealed about any site's mask key.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openSealed, uploadContext } from '../../../shared/node/federation/index.ts';
import { decodeWeights } from '../../../shared/federation/index.ts';
import { decodeMaskedInput } from '../../../shared/node/secagg/index.ts';
import { SecAggRows } from '../../../hub/secagg/index.ts';
import { approveTask, enrollSiteWithHub, runFederation, type SyncEvent } from './index.ts';
import { makeFederationFixture, type FederationFixture } from './testing/federation-fixture.ts';

let fixture: FederationFixture;

beforeAll(async () => {
  fixture = await makeFederationFixture({ sites: 3, patients: 6 });
  for (const site of fixture.sites) {
    await enrollSiteWithHub({ siteDir: site.dir, token: (await fixture.testHub.hub.createToken()).token });
  }
}, 90_000);
afterAll(async () => {
  await fixture?.cleanup();
});

it('three sites complete a secure round: masked uploads only, unmasked sum published', async () => {
  const taskId = await fixture.createTask({ name: 'secure round', rounds: 1, quorum: 3 });
  const { ctx } = fixture.testHub.hub;
  expect(JSON.parse((await ctx.store.tasks.task(taskId))!.definition).privacy.secureAggregation.enabled).toBe(
    true,
  );
  for (const site of fixture.sites) await approveTask(site.dir, taskId);
  const events: SyncEvent[][] = fixture.sites.map(() => []);
  const controller = new AbortController();
  const results = await Promise.all(
    fixture.sites.map((site, i) =>
      runFederation({
        siteDir: site.dir,
        signal: controller.signal,
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
  for (const result of results) expect(result.tasks[0]).toMatchObject({ taskId, state: 'completed' });
  for (const list of events) {
    const story = list.map(
      (e) => `${e.type}${'reason' in e ? `: ${e.reason}` : ''}${'message' in e ? `: ${e.message}` : ''}`,
    );
    expect(
      story.map((line) => line.split(':')[0]),
      story.join(' | '),
    ).toContain('submitted');
  }
  expect((await ctx.store.models.latestModel(taskId))?.version).toBe(1);

  const rows = new SecAggRows(ctx.store.sql);
  const participants = await rows.participants(taskId, 1);
  expect(participants.map((p) => p.survivor)).toEqual([1, 1, 1]);
  expect((await rows.revealed(taskId, 1)).every((r) => r.kind === 'self-mask')).toBe(true);
  for (const submission of await ctx.store.uploads.acceptedUpdates(taskId, 1)) {
    const opened = openSealed(
      await ctx.store.blobs.read(submission.blob_sha256),
      ctx.keys.exchangeKey,
      uploadContext({ taskId, round: 1, siteId: submission.site_id, kind: 'delta' }),
    );
    expect(() => decodeWeights(opened)).toThrow(); // not weights: a masked vector
    expect(decodeMaskedInput(opened).length).toBeGreaterThan(1000);
  }
}, 240_000);
