// A hub with `--blobs postgres` on a real PostgreSQL: models stream to sites from the database, uploads
// wait there between chunks (so any replica can take the next one), hostile sizes are refused before a
// byte is stored, a lost blob is one sentence saying what to do, and a replica that starts sweeps what a
// killed writer left. Nothing lands on the hub's disk.
import { readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeWeights, hubPaths, uploadStatusSchema, type NamedTensor } from '../shared/federation/index.ts';
import type { HubClient, SiteEnrollment } from '../shared/node/federation/index.ts';
import { startHub } from './server/start-hub.ts';
import { MAX_OPEN_UPLOADS } from './uploads.ts';
import { createTask } from './tasks.ts';
import { refusal } from './testing/hub-refusal.ts';
import {
  enrollTestSite,
  makeTestHubWithSites,
  startChunkedUpload,
  testTask,
  testWeights,
  waitFor,
  waitForCollecting,
  type TestHub,
} from './testing/test-hub.ts';

const INITIAL = testWeights(1, 0.1, 512);
let test: TestHub;
let site: { client: HubClient; enrollment: SiteEnrollment };
let other: { client: HubClient; enrollment: SiteEnrollment };
let taskId: string;
let round: number;

beforeAll(async () => {
  ({
    test,
    sites: [site, other],
  } = await makeTestHubWithSites(['Harbour', 'Quay'], {
    blobsInPostgres: true,
    limits: { maxChunkBytes: 64 * 1024 },
  }));
  // Quorum 2 with both joined keeps round 1 collecting while one site's upload is looked at.
  taskId = (await createTask(test.hub.ctx, testTask({ quorum: 2 }), encodeWeights(INITIAL))).id;
  await site.client.joinTask(taskId);
  await other.client.joinTask(taskId);
  round = (await waitForCollecting(test.hub, taskId)).number;
}, 120_000);
afterAll(() => test?.cleanup());

const rowsIn = async (table: string): Promise<number> =>
  (await test.hub.ctx.store.sql.get<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`))!.n;

/** Blob files and upload spools anywhere in the hub folder. */
const blobFiles = (): string[] =>
  readdirSync(test.dir, { recursive: true, encoding: 'utf8' }).filter(
    (name) => /(^|\/)blobs\/[0-9a-f]{2}\//.test(name) || name.endsWith('.part'),
  );

function sealed(client: HubClient, base: NamedTensor[]) {
  const delta = base.map((t) => ({ ...t, data: t.data.map((_, i) => (i % 5) * 0.001) }));
  return client.seal({
    taskId,
    round,
    kind: 'delta',
    weights: delta,
    baseVersion: 0,
    examples: 8,
    compression: 'none',
  });
}

describe('a hub with its blobs in PostgreSQL', () => {
  it('streams the global model to a site from the database, in byte ranges, and keeps no blob on disk', async () => {
    const { bytes, weights } = await site.client.downloadModel(taskId, 0, { chunkBytes: 777 });
    expect(Buffer.from(bytes).equals(encodeWeights(INITIAL, 'none'))).toBe(true);
    expect(weights.map((t) => t.name)).toEqual(INITIAL.map((t) => t.name));
    expect(await rowsIn('hub_blobs')).toBeGreaterThan(0);
    expect(blobFiles()).toEqual([]);
  });

  it('keeps an upload in PostgreSQL between its chunks and moves it into the blob store once complete', async () => {
    const base = (await site.client.downloadModel(taskId, 0)).weights;
    const update = sealed(site.client, base);
    await startChunkedUpload(site.client, taskId, update);
    expect(await rowsIn('hub_upload_spool')).toBe(1);
    expect(blobFiles()).toEqual([]);
    // The same bytes again: the site resumes its upload from what the database holds.
    const { submission } = await site.client.uploadSealed(taskId, update, { chunkBytes: 1024 });
    expect(submission.state, submission.reason ?? '').toBe('accepted');
    expect(await rowsIn('hub_upload_spool')).toBe(0);
    expect(await test.hub.ctx.store.blobs.has(update.sha256)).toBe(true);
    expect(blobFiles()).toEqual([]);
  });

  it('refuses an upload declared over the limit, and a chunk over its size, before storing any of it', async () => {
    const huge = await refusal(
      other.client.call(uploadStatusSchema, 'POST', hubPaths.uploads(taskId), {
        round,
        kind: 'delta',
        bytes: 50 * 1024 * 1024,
        sha256: 'f'.repeat(64),
      }),
    );
    expect(huge.status).toBe(413);
    const base = (await other.client.downloadModel(taskId, 0)).weights;
    const update = sealed(other.client, base);
    const started = await startChunkedUpload(other.client, taskId, update, { chunks: 0 });
    const overChunk = await refusal(
      other.client.send(
        'PUT',
        hubPaths.chunk(started.uploadId, 0),
        new Uint8Array(2048),
        'application/octet-stream',
      ),
    );
    expect(overChunk.message).toMatch(/Chunk 0 must be 1024 bytes, not 2048/);
    const overLimit = await refusal(
      other.client.send(
        'PUT',
        hubPaths.chunk(started.uploadId, 0),
        new Uint8Array(65 * 1024),
        'application/octet-stream',
      ),
    );
    expect(overLimit.status).toBe(413);
    expect(await rowsIn('hub_upload_spool')).toBe(0);
  });

  it('a site opening many uploads at once through the pool keeps at most MAX_OPEN_UPLOADS open', async () => {
    const pier = await enrollTestSite(test.hub, 'Pier');
    await pier.client.joinTask(taskId);
    const tries = await Promise.allSettled(
      Array.from({ length: 30 }, (_, n) =>
        pier.client.call(uploadStatusSchema, 'POST', hubPaths.uploads(taskId), {
          round,
          kind: 'delta',
          bytes: 1024,
          sha256: n.toString(16).padStart(64, '0'),
        }),
      ),
    );
    expect(tries.filter((t) => t.status === 'fulfilled')).toHaveLength(MAX_OPEN_UPLOADS);
    expect(await test.hub.ctx.store.uploads.openUploadCount(taskId, round, pier.client.siteId, 'delta')).toBe(
      MAX_OPEN_UPLOADS,
    );
  });

  it('a replica that starts sweeps the blob writes a killed process left, and only those', async () => {
    const { sql } = test.hub.ctx.store;
    const hourAndMore = Date.now() - 2 * 60 * 60 * 1000;
    await sql.run('INSERT INTO hub_blob_writes (writing_id, started_at) VALUES (@id, @at)', {
      id: 'killed-mid-write',
      at: hourAndMore,
    });
    await sql.run('INSERT INTO hub_blob_chunks (writing_id, seq, data) VALUES (@id, 0, @data)', {
      id: 'killed-mid-write',
      data: Buffer.alloc(1024),
    });
    const named = await rowsIn('hub_blobs');
    const replica = await startHub({ dir: test.dir, port: 0, logger: false, tickMs: 100 });
    try {
      await waitFor(
        test.hub,
        async () =>
          (await sql.get("SELECT 1 AS held FROM hub_blob_writes WHERE writing_id = 'killed-mid-write'")) ===
          undefined,
        'the abandoned write swept',
      );
    } finally {
      await replica.close();
    }
    expect(await rowsIn('hub_blob_chunks')).toBeGreaterThan(0);
    expect(await rowsIn('hub_blobs')).toBe(named);
  });

  it('a model whose blob is lost is refused with a sentence that says what to do', async () => {
    const model = (await test.hub.ctx.store.models.model(taskId, 0))!;
    await test.hub.ctx.store.sql.run('DELETE FROM hub_blobs WHERE sha256 = @sha256', {
      sha256: model.blob_sha256,
    });
    const lost = await refusal(site.client.downloadModel(taskId, 0));
    expect(lost.status).toBe(500);
    expect(lost.message).toContain(
      `Blob ${model.blob_sha256.slice(0, 12)}… is missing from the hub's store.`,
    );
    expect(lost.message).toContain('restores');
  });
});
