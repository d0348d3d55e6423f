// A hostile peer that knows another site's id (a secure-aggregation neighbour lists it) sends a large
// body naming that site with a junk signature. The hub stops reading large bodies after such a forgery,
// but only from the machine that sent it: before, one forged 2 MiB request every 30 s kept the named
// site's own upload chunks refused ('signature-cooldown'), so a hostile site could shut a hospital out
// of every round. Real hub on loopback; the forger connects from 127.0.0.2, the site from 127.0.0.1.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hubPaths, HubRequestError } from '../../shared/federation/index.ts';
import { HubClient, type SiteEnrollment } from '../../shared/node/federation/index.ts';
import { enrollTestSite, makeTestHub, type TestHub } from '../testing/test-hub.ts';
import { junkSignatureHeaders, sendRaw } from './testing/raw-sender.ts';

const MiB = 1024 * 1024;
const CHUNK_PATH = hubPaths.chunk('upl_0000000000000000', 0);

let test: TestHub;
let site: SiteEnrollment;

beforeAll(async () => {
  test = await makeTestHub();
  site = (await enrollTestSite(test.hub, 'Alpha')).enrollment;
});
afterAll(() => test.cleanup());

const forgedChunk = (localAddress: string) =>
  sendRaw({
    url: test.hub.url,
    caPem: site.caPem,
    method: 'PUT',
    path: CHUNK_PATH,
    headers: { ...junkSignatureHeaders(site.siteId), 'content-type': 'application/octet-stream' },
    body: Buffer.alloc(2 * MiB, 7),
    localAddress,
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
});
