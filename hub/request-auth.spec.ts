// Signed requests against a real hub: unsigned, wrongly signed, replayed, expired and unknown-site
// requests are refused with a reason; and a site reads only what is its own.
import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeWeights, hubPaths } from '../shared/federation/index.ts';
import {
  hubHttp,
  HubClient,
  loadPrivateKey,
  signRequest,
  SIGNATURE_HEADERS,
  type SiteEnrollment,
} from '../shared/node/federation/index.ts';
import { createTask } from './tasks.ts';
import { refusal } from './testing/hub-refusal.ts';
import { makeTestHubWithSites, testTask, testWeights, waitFor, type TestHub } from './testing/test-hub.ts';

let test: TestHub;
let a: { client: HubClient; enrollment: SiteEnrollment };
let b: { client: HubClient; enrollment: SiteEnrollment };
let c: { client: HubClient; enrollment: SiteEnrollment };
let taskId: string;

beforeAll(async () => {
  ({
    test,
    sites: [a, b, c],
  } = await makeTestHubWithSites(['Alpha', 'Bravo', 'Charlie']));
  taskId = (
    await createTask(test.hub.ctx, testTask({ sites: ['Alpha', 'Bravo'] }), encodeWeights(testWeights()))
  ).id;
});
afterAll(() => test.cleanup());

const http = () => ({ baseUrl: test.hub.url, caPem: a.enrollment.caPem });

function signedHeaders(site: SiteEnrollment, method: string, path: string, body?: Uint8Array, now?: number) {
  return signRequest({
    method,
    path,
    ...(body ? { body } : {}),
    siteId: site.siteId,
    privateKey: loadPrivateKey(site.signingPrivateKeyPem),
    ...(now ? { now } : {}),
  });
}

describe('signed requests', () => {
  it('refuses an unsigned request', async () => {
    const response = await hubHttp(http(), 'GET', hubPaths.tasks);
    expect(response.status).toBe(401);
    expect(JSON.parse(response.body.toString())).toMatchObject({ error: 'unsigned' });
  });

  it('refuses a request signed with another key', async () => {
    const stranger = generateKeyPairSync('ed25519').privateKey;
    const headers = signRequest({
      method: 'GET',
      path: hubPaths.tasks,
      siteId: a.enrollment.siteId,
      privateKey: stranger,
    });
    const response = await hubHttp(http(), 'GET', hubPaths.tasks, undefined, headers);
    expect(response.status).toBe(401);
    expect(JSON.parse(response.body.toString()).error).toBe('bad-signature');
  });

  it('refuses a body changed after signing', async () => {
    const signed = Buffer.from(JSON.stringify({}));
    const headers = signedHeaders(a.enrollment, 'POST', hubPaths.join(taskId), signed);
    const response = await hubHttp(http(), 'POST', hubPaths.join(taskId), Buffer.from('{"x":1}'), {
      ...headers,
      'content-type': 'application/json',
    });
    expect(JSON.parse(response.body.toString()).error).toBe('bad-signature');
  });

  it('refuses a replayed request (same nonce)', async () => {
    const headers = signedHeaders(a.enrollment, 'GET', hubPaths.tasks);
    expect((await hubHttp(http(), 'GET', hubPaths.tasks, undefined, headers)).status).toBe(200);
    const replay = await hubHttp(http(), 'GET', hubPaths.tasks, undefined, headers);
    expect(replay.status).toBe(401);
    expect(JSON.parse(replay.body.toString()).error).toBe('replayed');
  });

  it('refuses a timestamp outside ±5 min and says by how much the clock differs', async () => {
    const slow = new HubClient({ ...a.enrollment, now: () => Date.now() - 9 * 60_000 });
    const error = await refusal(slow.listTasks());
    expect(error.hubCode).toBe('clock-skew');
    expect(error.message).toMatch(/clock differs from the hub's by 9 min \(it is behind\)/);
    const fast = new HubClient({ ...a.enrollment, now: () => Date.now() + 4 * 60_000 });
    expect(await fast.listTasks()).toHaveLength(1);
  });

  it('refuses an unknown site', async () => {
    const headers = signedHeaders(
      { ...a.enrollment, siteId: 'site_0000000000000000' },
      'GET',
      hubPaths.tasks,
    );
    const response = await hubHttp(http(), 'GET', hubPaths.tasks, undefined, headers);
    expect(JSON.parse(response.body.toString()).error).toBe('unknown-site');
  });

  it('validates bodies and answers 400 with a plain sentence', async () => {
    const body = Buffer.from(JSON.stringify({ loss: 'low', n: 3 }));
    const path = hubPaths.metrics(taskId, 0);
    const headers = signedHeaders(a.enrollment, 'POST', path, body);
    const response = await hubHttp(http(), 'POST', path, body, {
      ...headers,
      'content-type': 'application/json',
    });
    expect(response.status).toBe(400);
    expect(JSON.parse(response.body.toString()).message).toMatch(/request body is not valid at loss/);
    expect(SIGNATURE_HEADERS.nonce).toBe('x-radfed-nonce');
  });
});

describe('authorisation: a site reads its tasks, the global model and its own submissions only', () => {
  it('hides a task from a site it does not include', async () => {
    expect((await a.client.listTasks()).map((t) => t.id)).toEqual([taskId]);
    expect(await c.client.listTasks()).toEqual([]);
    expect((await refusal(c.client.getTask(taskId))).status).toBe(404);
    expect((await refusal(c.client.getModelMeta(taskId, 'latest'))).status).toBe(404);
    expect((await refusal(c.client.joinTask(taskId))).status).toBe(404);
  });

  it("site A cannot read site B's submission or upload", async () => {
    await a.client.joinTask(taskId);
    await b.client.joinTask(taskId);
    const round = await waitFor(
      test.hub,
      async () => {
        const view = await b.client.getRound(taskId);
        return view.state === 'collecting' && view;
      },
      'round 1 collecting',
    );
    const { weights, meta } = await b.client.downloadModel(taskId, 'latest');
    const sealed = b.client.seal({
      taskId,
      round: round.round!,
      kind: 'delta',
      weights: weights.map((t) => ({ ...t, data: t.data.map(() => 0.01) })),
      baseVersion: meta.version,
      examples: 5,
      compression: 'none',
    });
    const { submission, upload } = await b.client.uploadSealed(taskId, sealed);
    expect((await b.client.getSubmission(submission.id)).id).toBe(submission.id);
    const error = await refusal(a.client.getSubmission(submission.id));
    expect(error.status).toBe(404);
    expect(error.message).not.toContain('Bravo');
    expect((await refusal(a.client.send('GET', hubPaths.upload(upload.uploadId)))).status).toBe(404);
    expect(await a.client.listSubmissions(taskId)).toEqual([]);
    expect((await b.client.listSubmissions(taskId)).map((s) => s.id)).toEqual([submission.id]);
  });
});
