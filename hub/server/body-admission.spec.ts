// Floods of large bodies against a real hub on loopback: a sender that is not an enrolled site with a
// fresh timestamp and an unused nonce never gets its body read, and one that knows a site's id but
// not its key gets at most that site's room held, whatever it sends (whole, chunked, or slowly).
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  encodeWeights,
  hubPaths,
  loadPrivateKey,
  signRequest,
  type SiteEnrollment,
} from '../../shared/federation/index.ts';
import { createTask } from '../tasks.ts';
import {
  enrollTestSite,
  makeTestHub,
  sendDelta,
  testTask,
  testWeights,
  waitFor,
  type TestHub,
} from '../testing/test-hub.ts';
import { junkSignatureHeaders, sendRaw, type RawAnswer } from './testing/raw-sender.ts';

const MiB = 1024 * 1024;
const BIG = Buffer.alloc(16 * MiB, 7);
const CHUNK_PATH = hubPaths.chunk('upl_0000000000000000', 0);

let test: TestHub;
let site: SiteEnrollment;
let connections: TLSSocket[] = [];

beforeAll(async () => {
  test = await makeTestHub({ bodies: { timeouts: { idleMs: 300 } } });
  site = (await enrollTestSite(test.hub, 'Alpha')).enrollment;
  test.hub.server.on('secureConnection', (socket: TLSSocket) => connections.push(socket));
});
afterAll(() => test.cleanup());
let peakBefore = 0;
beforeEach(() => {
  connections = [];
  peakBefore = test.hub.bodies.peakHeldBytes; // the enrollments' small bodies
});

function flood(count: number, headers: () => Record<string, string>, options: { chunked?: boolean } = {}) {
  return Promise.all(
    Array.from({ length: count }, () =>
      sendRaw({
        url: test.hub.url,
        caPem: site.caPem,
        method: 'PUT',
        path: CHUNK_PATH,
        headers: { ...headers(), 'content-type': 'application/octet-stream' },
        body: BIG,
        ...options,
      }),
    ),
  );
}

/** Bytes the hub read from the connections opened since the test began (TLS records included). */
const bytesReadByHub = () => connections.reduce((sum, socket) => sum + socket.bytesRead, 0);
const refusedAs = (answers: RawAnswer[], codes: string[]) =>
  answers.every(
    (answer) => answer.closed !== undefined || (answer.status === 401 && codes.includes(answer.code ?? '')),
  );

describe('bodies are read only from senders whose headers check out', () => {
  it('refuses 24 x 16 MiB with junk headers (unknown site, stale timestamp) without reading them', async () => {
    let sent = 0;
    const answers = await flood(24, () =>
      sent++ % 2 === 0
        ? junkSignatureHeaders('site_0000000000000000')
        : junkSignatureHeaders(site.siteId, Date.now() - 10 * 60_000),
    );
    expect(refusedAs(answers, ['unknown-site', 'clock-skew'])).toBe(true);
    expect(answers.filter((answer) => answer.status === 401).length).toBeGreaterThan(0);
    // Old hub: all 24 bodies read (384 MiB). The kernel's socket buffers let some arrive unread.
    expect(bytesReadByHub()).toBeLessThan(24 * MiB);
    expect(test.hub.bodies.peakHeldBytes).toBe(peakBefore);
  });

  it('refuses a chunked body (no Content-Length) from an unknown site without reading it', async () => {
    const answers = await flood(8, () => junkSignatureHeaders('site_0000000000000000'), { chunked: true });
    expect(refusedAs(answers, ['unknown-site'])).toBe(true);
    expect(bytesReadByHub()).toBeLessThan(8 * MiB);
    expect(test.hub.bodies.peakHeldBytes).toBe(peakBefore);
  });

  it('refuses a reused nonce before reading the body', async () => {
    const headers = signRequest({
      method: 'GET',
      path: hubPaths.tasks,
      siteId: site.siteId,
      privateKey: loadPrivateKey(site.signingPrivateKeyPem),
    });
    const first = await sendRaw({
      url: test.hub.url,
      caPem: site.caPem,
      method: 'GET',
      path: hubPaths.tasks,
      headers,
      body: Buffer.alloc(0),
    });
    expect(first.status).toBe(200);
    connections = [];
    const [again] = await flood(1, () => headers);
    expect(refusedAs([again as RawAnswer], ['replayed'])).toBe(true);
    expect(bytesReadByHub()).toBeLessThan(8 * MiB);
    expect(test.hub.bodies.peakHeldBytes).toBe(peakBefore);
  });
});

describe('a sender who knows a site id but not its key', () => {
  it("gets at most one site's room held: 24 x 16 MiB with junk signatures are read in turn or refused with 503", async () => {
    const answers = await flood(24, () => junkSignatureHeaders(site.siteId));
    const policy = test.hub.bodies.policy;
    expect(test.hub.bodies.peakHeldBytes).toBeLessThanOrEqual(policy.perSiteBytes);
    expect(
      answers.every(
        (answer) =>
          answer.closed !== undefined ||
          (answer.status === 401 && answer.code === 'bad-signature') ||
          (answer.status === 503 && answer.code === 'busy' && answer.retryAfter === '5'),
      ),
    ).toBe(true);
    expect(answers.filter((answer) => answer.status === 503).length).toBeGreaterThan(0);
    expect(answers.filter((answer) => answer.status === 401).length).toBeLessThanOrEqual(
      1 + policy.waitingPerSender + 4,
    );
    await waitFor(test.hub, () => test.hub.bodies.heldBytes === 0, 'the room to be given back');
  });

  it('cuts off a body that stops arriving (408) and gives its room back', async () => {
    const answer = await sendRaw({
      url: test.hub.url,
      caPem: site.caPem,
      method: 'PUT',
      path: CHUNK_PATH,
      headers: { ...junkSignatureHeaders(site.siteId), 'content-type': 'application/octet-stream' },
      body: BIG,
      stopAfter: 64 * 1024,
    });
    expect(answer).toMatchObject({ status: 408, code: 'too-slow' });
    await waitFor(test.hub, () => test.hub.bodies.heldBytes === 0, 'the room to be given back');
  });

  it('leaves the real site able to upload afterwards', async () => {
    const { client } = await enrollTestSite(test.hub, 'Charlie');
    const taskId = createTask(
      test.hub.ctx,
      testTask({ sites: ['Charlie'], quorum: 1 }),
      encodeWeights(testWeights()),
    ).id;
    await client.joinTask(taskId);
    await waitFor(test.hub, async () => (await client.getRound(taskId)).state === 'collecting', 'round 1');
    const { submission } = await sendDelta(client, taskId, 0.01, 5);
    expect(submission.state).not.toBe('rejected');
  });
});
