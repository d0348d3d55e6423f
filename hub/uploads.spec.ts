// Uploads against a real hub: resumable chunks, tampered bytes, oversized bodies and updates, and
// updates with NaN or the wrong shape, each refused with a reason the site can act on.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type HubClient,
  envelopeFor,
  loadPrivateKey,
  sealForHub,
  sha256Hex,
  signEnvelope,
  uploadContext,
  type SealedUpdate,
  type SiteEnrollment,
} from '../shared/node/federation/index.ts';
import { encodeWeights, hubPaths, uploadStatusSchema, type NamedTensor } from '../shared/federation/index.ts';
import { createTask } from './tasks.ts';
import { refusal } from './testing/hub-refusal.ts';
import {
  makeTestHubWithSites,
  startChunkedUpload,
  testTask,
  testWeights,
  waitForCollecting,
  type TestHub,
} from './testing/test-hub.ts';

let test: TestHub;
let site: { client: HubClient; enrollment: SiteEnrollment };
let other: { client: HubClient; enrollment: SiteEnrollment };
let taskId: string;
let round: number;
let global: NamedTensor[];

beforeAll(async () => {
  ({
    test,
    sites: [site, other],
  } = await makeTestHubWithSites(['Uploader', 'Bystander'], {
    limits: { maxChunkBytes: 64 * 1024, maxJsonBytes: 16 * 1024 },
  }));
  // Quorum 2 with both joined keeps round 1 collecting while one site sends (and gets refused).
  taskId = (
    await createTask(
      test.hub.ctx,
      testTask({ quorum: 2, compression: 'float16' }),
      encodeWeights(testWeights(1, 0.1, 512)),
    )
  ).id;
  await site.client.joinTask(taskId);
  await other.client.joinTask(taskId);
  round = (await waitForCollecting(test.hub, taskId)).number;
  global = (await site.client.downloadModel(taskId, 'latest')).weights;
});
afterAll(() => test.cleanup());

function seal(weights: NamedTensor[], compression: 'none' | 'float16' = 'float16'): SealedUpdate {
  return site.client.seal({
    taskId,
    round,
    kind: 'delta',
    weights,
    baseVersion: 0,
    examples: 12,
    compression,
  });
}

const small = () => global.map((t) => ({ ...t, data: t.data.map((_, i) => (i % 5) * 0.001) }));

describe('update uploads', () => {
  it('refuses an update with NaN, naming the tensor, and records the rejection', async () => {
    const weights = small();
    const data = new Float32Array(weights[6]!.data);
    data[1] = NaN;
    weights[6] = { ...weights[6]!, data };
    const error = await refusal(site.client.uploadSealed(taskId, seal(weights)));
    expect(error.status).toBe(422);
    expect(error.hubCode).toBe('update-rejected');
    expect(error.message).toMatch(/"dense\/kernel" has 1 value that is not finite/);
    const uncompressed = await refusal(site.client.uploadSealed(taskId, seal(small(), 'none')));
    expect(uncompressed.message).toMatch(/asks for float16 updates, but this one is none/);
    const rejected = (await site.client.listSubmissions(taskId)).filter((s) => s.state === 'rejected');
    expect(rejected.map((s) => s.reason)).toEqual([
      expect.stringMatching(/not finite/),
      expect.stringMatching(/float16 updates, but this one is none/),
    ]);
  });

  it('refuses an update of the wrong shape, saying which tensor and both shapes', async () => {
    const weights = small();
    weights[0] = { name: 'conv2d/kernel', shape: [3, 3, 1, 2], data: new Float32Array(18) };
    const error = await refusal(site.client.uploadSealed(taskId, seal(weights)));
    expect(error.message).toMatch(
      /"conv2d\/kernel" has shape \[3, 3, 1, 2\] but the global model has \[3, 3, 1, 4\]/,
    );
  });

  it('refuses bytes altered in transit (hash mismatch) and ciphertext altered with a matching hash', async () => {
    const sealed = seal(small());
    const { uploadId, chunkBytes } = await site.client.call(
      uploadStatusSchema,
      'POST',
      hubPaths.uploads(taskId),
      {
        round,
        kind: 'delta',
        bytes: sealed.sealed.byteLength,
        sha256: sealed.sha256,
      },
    );
    const altered = Buffer.from(sealed.sealed);
    altered[altered.byteLength - 30]! ^= 0xff;
    for (let index = 0; index * chunkBytes < altered.byteLength; index += 1) {
      await site.client.send(
        'PUT',
        hubPaths.chunk(uploadId, index),
        altered.subarray(index * chunkBytes, (index + 1) * chunkBytes),
        'application/octet-stream',
      );
    }
    const envelope = envelopeFor(taskId, sealed);
    const signature = signEnvelope(envelope, loadPrivateKey(site.enrollment.signingPrivateKeyPem));
    const mismatch = await refusal(
      site.client.send(
        'POST',
        hubPaths.complete(uploadId),
        Buffer.from(JSON.stringify({ envelope, envelopeSignature: signature })),
      ),
    );
    expect(mismatch.hubCode).toBe('hash-mismatch');
    // A tamperer who also fixes the hash still cannot get past AES-GCM's tag.
    const forged: SealedUpdate = { ...sealed, sealed: altered, sha256: sha256Hex(altered) };
    const error = await refusal(site.client.uploadSealed(taskId, forged));
    expect(error.status).toBe(422);
    expect(error.message).toMatch(/could not be decrypted/);
    // Sealed for another round: the context is authenticated, so it does not open either.
    const plaintext = encodeWeights(small(), 'float16');
    const wrongRound = sealForHub(
      plaintext,
      site.enrollment.hub.exchangePublicKey,
      uploadContext({ taskId, round: round + 1, siteId: site.enrollment.siteId, kind: 'delta' }),
    );
    const replayed = await refusal(
      site.client.uploadSealed(taskId, { ...sealed, sealed: wrongRound, sha256: sha256Hex(wrongRound) }),
    );
    expect(replayed.message).toMatch(/sealed for another task, round or site/);
  });

  it('refuses oversized bodies and updates larger than the model allows', async () => {
    const sealed = seal(small());
    const status = await site.client.call(uploadStatusSchema, 'POST', hubPaths.uploads(taskId), {
      round,
      kind: 'delta',
      bytes: sealed.sealed.byteLength,
      sha256: sealed.sha256,
    });
    const tooBigChunk = await refusal(
      site.client.send(
        'PUT',
        hubPaths.chunk(status.uploadId, 0),
        new Uint8Array(65 * 1024),
        'application/octet-stream',
      ),
    );
    expect(tooBigChunk.status).toBe(413);
    expect(tooBigChunk.message).toMatch(/larger than this hub accepts here \(65536 bytes at most\)/);
    const tooBigJson = await refusal(
      site.client.call(uploadStatusSchema, 'POST', hubPaths.uploads(taskId), { padding: 'x'.repeat(20_000) }),
    );
    expect(tooBigJson.status).toBe(413);
    const huge = await refusal(
      site.client.call(uploadStatusSchema, 'POST', hubPaths.uploads(taskId), {
        round,
        kind: 'delta',
        bytes: 50 * 1024 * 1024,
        sha256: 'f'.repeat(64),
      }),
    );
    expect(huge.status).toBe(413);
    expect(huge.message).toMatch(/at most \d+ bytes/);
    const wrongChunk = await refusal(
      site.client.send(
        'PUT',
        hubPaths.chunk(status.uploadId, 0),
        new Uint8Array(10),
        'application/octet-stream',
      ),
    );
    expect(wrongChunk.message).toMatch(/Chunk 0 must be \d+ bytes, not 10/);
  });

  it('resumes an interrupted upload from the bytes the hub holds, and accepts it once', async () => {
    const weights = global.map((t) => ({ ...t, data: t.data.map((_, i) => 0.002 * ((i % 3) - 1)) }));
    const sealed = seal(weights);
    const first = await startChunkedUpload(site.client, taskId, sealed);
    // A chunk out of order is refused with where to go on from.
    const skip = await refusal(
      site.client.send(
        'PUT',
        hubPaths.chunk(first.uploadId, 2),
        sealed.sealed.subarray(2048, 3072),
        'application/octet-stream',
      ),
    );
    expect(skip.message).toMatch(/holds 1024 bytes of this upload; send chunk 1 next/);
    const progress: number[] = [];
    const { submission, upload } = await site.client.uploadSealed(taskId, sealed, {
      onProgress: (p) => progress.push(p.sentBytes),
    });
    expect(upload.uploadId).toBe(first.uploadId);
    expect(progress[0]).toBe(2048); // went on from chunk 1, not from the start
    expect(submission.state).toBe('accepted');
    expect(submission.examples).toBe(12);
    const again = await refusal(site.client.uploadSealed(taskId, seal(weights)));
    expect(again.hubCode).toBe('already-submitted');
  });
});
