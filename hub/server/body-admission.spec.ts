// Floods of large bodies against a real hub on loopback: a sender that is not an enrolled site with a
// fresh timestamp and an unused nonce never gets its body read, and one that knows a site's id but
// not its key gets at most that site's room held, whatever it sends (whole, chunked, or slowly).
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { encodeWeights, hubPaths, HubRequestError } from '../../shared/federation/index.ts';
import {
  HubClient,
  loadPrivateKey,
  signRequest,
  type SiteEnrollment,
} from '../../shared/node/federation/index.ts';
import { initHub } from '../setup/index.ts';
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
import { startHub } from './start-hub.ts';
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

const incoming = (dir: string) => readdirSync(dir).filter((name) => name.startsWith('.incoming-'));

const refusalCode = (promise: Promise<unknown>) =>
  promise.then(
    () => 'accepted',
    (error: unknown) => (error instanceof HubRequestError ? error.hubCode : String(error)),
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
  it("gets at most one site's room held: 24 x 16 MiB with junk signatures, then that site's bodies are refused unread", async () => {
    const answers = await flood(24, () => junkSignatureHeaders(site.siteId));
    const policy = test.hub.bodies.policy;
    expect(test.hub.bodies.peakHeldBytes).toBeLessThanOrEqual(peakBefore + policy.perSiteBytes);
    const allowed = new Set(['401 bad-signature', '503 busy', '429 signature-cooldown']);
    expect(
      answers.every(
        (answer) => answer.closed !== undefined || allowed.has(`${answer.status} ${answer.code}`),
      ),
    ).toBe(true);
    expect(answers.filter((answer) => answer.status === 503).every((a) => a.retryAfter === '5')).toBe(true);
    // One body is read; its bad signature shuts the door on the others, unread.
    expect(answers.filter((answer) => answer.code === 'bad-signature')).toHaveLength(1);
    await waitFor(test.hub, () => test.hub.bodies.heldBytes === 0, 'the room to be given back');
    expect(incoming(test.hub.ctx.layout.uploads)).toEqual([]); // the refused chunk's file is gone

    connections = [];
    const [later] = await flood(1, () => junkSignatureHeaders(site.siteId));
    expect(later).toMatchObject({ status: 429, code: 'signature-cooldown' });
    expect(Number(later?.retryAfter)).toBeGreaterThan(0);
    expect(bytesReadByHub()).toBeLessThan(8 * MiB);
    // From the forger's machine (here the site's too) even the real site's chunks wait out the
    // cooldown; its small requests and long-polls go on.
    const client = HubClient.fromEnrollment(site);
    const chunk = () => client.send('PUT', CHUNK_PATH, Buffer.alloc(2 * MiB), 'application/octet-stream');
    expect(await refusalCode(chunk())).toBe('signature-cooldown');
    expect(await client.listTasks()).toEqual([]);
    expect(
      await refusalCode(client.send('PUT', CHUNK_PATH, Buffer.alloc(1024), 'application/octet-stream')),
    ).toBe('no-upload');
    test.shiftClock(31_000);
    expect(await refusalCode(chunk())).toBe('no-upload'); // read, verified, and on to the route
  });

  it('cuts off a body that stops arriving (408) and gives its room back', async () => {
    const { enrollment } = await enrollTestSite(test.hub, 'Echo');
    const answer = await sendRaw({
      url: test.hub.url,
      caPem: site.caPem,
      method: 'PUT',
      path: CHUNK_PATH,
      headers: { ...junkSignatureHeaders(enrollment.siteId), 'content-type': 'application/octet-stream' },
      body: BIG,
      stopAfter: 64 * 1024,
    });
    expect(answer).toMatchObject({ status: 408, code: 'too-slow' });
    await waitFor(test.hub, () => test.hub.bodies.heldBytes === 0, 'the room to be given back');
  });

  it('leaves the real site able to upload afterwards', async () => {
    const { client } = await enrollTestSite(test.hub, 'Charlie');
    const taskId = (
      await createTask(
        test.hub.ctx,
        testTask({ sites: ['Charlie'], quorum: 1 }),
        encodeWeights(testWeights()),
      )
    ).id;
    await client.joinTask(taskId);
    await waitFor(test.hub, async () => (await client.getRound(taskId)).state === 'collecting', 'round 1');
    const { submission } = await sendDelta(client, taskId, 0.01, 5);
    expect(submission.state).not.toBe('rejected');
  });
});

describe('large bodies wait in files until verified', () => {
  it('removes at start the files of bodies a crash left half received', async () => {
    const root = mkdtempSync(join(tmpdir(), 'radfed-spool-'));
    try {
      const dir = join(root, 'hub');
      const { layout } = await initHub({ dir });
      writeFileSync(join(layout.uploads, '.incoming-0123456789abcdef'), Buffer.alloc(1024));
      const hub = await startHub({ dir, port: 0, logger: false });
      await hub.close();
      expect(incoming(layout.uploads)).toEqual([]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
