// A hostile peer that knows another site's id (a secure-aggregation neighbour lists it) sends bodies
// naming that site with a junk signature. What the hub spends on them before the signature can be
// checked is charged to the site on the machine that sent them, not to the site wherever it is: before,
// one forged 2 MiB request every 30 s kept the named site's own upload chunks refused
// ('signature-cooldown'), and one slow forged body held the site's room so its chunks were turned away
// (503 busy): a hostile site could shut a hospital out of every round. Real hub on loopback; the forger
// connects from 127.0.0.2, the site from 127.0.0.1.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hubPaths, HubRequestError } from '../../shared/federation/index.ts';
import { HubClient, type SiteEnrollment } from '../../shared/node/federation/index.ts';
import { enrollTestSite, makeTestHub, waitFor, type TestHub } from '../testing/test-hub.ts';
import { junkSignatureHeaders, sendRaw } from './testing/raw-sender.ts';

const MiB = 1024 * 1024;
const CHUNK_PATH = hubPaths.chunk('upl_0000000000000000', 0);

let test: TestHub;
let site: SiteEnrollment;

beforeAll(async () => {
  // A request waits 2 s for room instead of 30, so a chunk turned away is seen quickly.
  test = await makeTestHub({ bodies: { budget: { waitMs: 2000 } } });
  site = (await enrollTestSite(test.hub, 'Alpha')).enrollment;
});
afterAll(() => test.cleanup());

const forgedChunk = (
  localAddress: string,
  { bytes = 2 * MiB, stopAfter }: { bytes?: number; stopAfter?: number } = {},
) =>
  sendRaw({
    url: test.hub.url,
    caPem: site.caPem,
    method: 'PUT',
    path: CHUNK_PATH,
    headers: { ...junkSignatureHeaders(site.siteId), 'content-type': 'application/octet-stream' },
    body: Buffer.alloc(bytes, 7),
    localAddress,
    ...(stopAfter === undefined ? {} : { stopAfter }),
  });

const refusalCode = (promise: Promise<unknown>) =>
  promise.then(
    () => 'accepted',
    (error: unknown) => (error instanceof HubRequestError ? error.hubCode : String(error)),
  );

describe('a forged large body naming a site, sent from another machine', () => {
  it('is refused, and so are that machine’s next large bodies naming the site', async () => {
    expect(await forgedChunk('127.0.0.2')).toMatchObject({ status: 401, code: 'bad-signature' });
    expect(await forgedChunk('127.0.0.2')).toMatchObject({ status: 429, code: 'signature-cooldown' });
  });

  it("leaves the named site's own upload chunks read and passed on to the route", async () => {
    expect(await forgedChunk('127.0.0.2')).toMatchObject({ status: 429, code: 'signature-cooldown' });
    const client = HubClient.fromEnrollment(site);
    const chunk = client.send('PUT', CHUNK_PATH, Buffer.alloc(2 * MiB), 'application/octet-stream');
    // Read, verified and on to the route, which knows no such upload: not refused unread.
    expect(await refusalCode(chunk)).toBe('no-upload');
  });

  it("does not hold the named site's room while it trickles in", async () => {
    test.shiftClock(31_000); // past the forger's cooldown, so its next body is read
    // Declared as a whole 16 MiB chunk, sent 64 KiB of: the site's room less than 2 MiB is left.
    const trickle = forgedChunk('127.0.0.2', { bytes: 16 * MiB, stopAfter: 64 * 1024 });
    await waitFor(test.hub, () => test.hub.bodies.heldBytes >= 16 * MiB, 'the forged body to be admitted');
    const client = HubClient.fromEnrollment(site);
    const chunk = client.send('PUT', CHUNK_PATH, Buffer.alloc(2 * MiB), 'application/octet-stream');
    expect(await refusalCode(chunk)).toBe('no-upload');
    void trickle; // cut off when the hub closes
  });
});
