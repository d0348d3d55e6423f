// The hub protocol's version at a real hub on a loopback port: every answer says the hub's version; a
// site of an older or newer protocol, or one that says none (a site from before versions were
// checked), is refused with 426 and a sentence naming the release to install, before its signature is
// checked; a garbled header is never quoted back; the public routes answer any client.
import { request } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  hubInfoSchema,
  hubPaths,
  PROTOCOL_HEADER,
  PROTOCOL_VERSION,
  RADFED_RELEASE,
} from '../../shared/federation/index.ts';
import {
  loadPrivateKey,
  parseEnrollmentToken,
  signRequest,
  type SiteEnrollment,
} from '../../shared/node/federation/index.ts';
import { enrollTestSite, makeTestHub, type TestHub } from '../testing/test-hub.ts';
import { HEALTH_PATH } from './health-route.ts';

let test: TestHub;
let site: SiteEnrollment;

beforeAll(async () => {
  test = await makeTestHub();
  site = (await enrollTestSite(test.hub, 'Alpha')).enrollment;
});
afterAll(() => test.cleanup());

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  json: { error?: string; message?: string } & Record<string, unknown>;
}

/** One request with exactly these headers (no protocol header unless given), as an old site sends. */
function send(method: string, path: string, headers: Record<string, string>, body?: Buffer): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      new URL(path, test.hub.url),
      {
        method,
        ca: site.caPem,
        agent: false,
        headers: { ...headers, ...(body ? { 'content-length': String(body.length) } : {}) },
      },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (part: Buffer) => parts.push(part));
        res.on('end', () => {
          const text = Buffer.concat(parts).toString('utf8');
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            json: text.startsWith('{') ? (JSON.parse(text) as Answer['json']) : {},
          });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** The signed headers of a genuine site, with the protocol header set to `version` (or left out). */
function signed(method: string, path: string, version: string | null, body?: Buffer) {
  const headers = signRequest({
    method,
    path,
    ...(body ? { body } : {}),
    siteId: site.siteId,
    privateKey: loadPrivateKey(site.signingPrivateKeyPem),
  });
  delete headers[PROTOCOL_HEADER];
  return version === null ? headers : { ...headers, [PROTOCOL_HEADER]: version };
}

describe('the hub says its protocol version', () => {
  it('in GET /v1/hub, in its header, and on every answer: served, refused, unknown route', async () => {
    const info = await send('GET', hubPaths.info, {});
    expect(info.status).toBe(200);
    expect(hubInfoSchema.parse(info.json).protocol).toBe(PROTOCOL_VERSION);
    const version = String(PROTOCOL_VERSION);
    expect(info.headers[PROTOCOL_HEADER]).toBe(version);
    const served = await send('GET', hubPaths.tasks, signed('GET', hubPaths.tasks, version));
    expect(served.status).toBe(200);
    expect(served.headers[PROTOCOL_HEADER]).toBe(version);
    const stranger = await send('GET', hubPaths.tasks, { [PROTOCOL_HEADER]: version });
    expect(stranger.status).toBe(401);
    expect(stranger.headers[PROTOCOL_HEADER]).toBe(version);
    const unknown = await send('GET', '/v1/no-such-route', { [PROTOCOL_HEADER]: version });
    expect(unknown.status).toBe(404);
    expect(unknown.headers[PROTOCOL_HEADER]).toBe(version);
  });

  it('answers its public routes to a client that says no version (an old site, curl, the balancer)', async () => {
    expect((await send('GET', hubPaths.info, {})).status).toBe(200);
    expect((await send('GET', HEALTH_PATH, {})).status).toBe(200);
  });
});

describe('a site the hub cannot serve', () => {
  it('an older site, signed correctly, is refused with 426 and told what to install', async () => {
    const old = await send(
      'GET',
      hubPaths.tasks,
      signed('GET', hubPaths.tasks, String(PROTOCOL_VERSION - 1)),
    );
    expect(old.status).toBe(426);
    expect(old.json.error).toBe('site-protocol-too-old');
    expect(old.json.message).toContain('This site runs an older RadFed than the hub');
    expect(old.json.message).toContain(`Hospital IT should install RadFed ${RADFED_RELEASE}`);
    expect(old.headers['upgrade']).toBe(`RadFed-protocol/${PROTOCOL_VERSION}`);
    expect(old.headers[PROTOCOL_HEADER]).toBe(String(PROTOCOL_VERSION));
  });

  it('a site that says no version (from before versions were checked) is refused on site routes and enrollment', async () => {
    const heartbeat = Buffer.from(JSON.stringify({ state: 'idle', tasks: [] }));
    const silent = await send(
      'POST',
      hubPaths.heartbeat,
      { ...signed('POST', hubPaths.heartbeat, null, heartbeat), 'content-type': 'application/json' },
      heartbeat,
    );
    expect(silent.status).toBe(426);
    expect(silent.json.error).toBe('site-protocol-too-old');
    expect(silent.json.message).toContain('does not say which hub protocol it speaks');
    // Nothing of it was taken: the hub never heard this site's heartbeat.
    expect((await test.hub.ctx.store.sites.site(site.siteId))?.heartbeat_at).toBeNull();
    const token = await test.hub.createToken();
    const enroll = Buffer.from(JSON.stringify({ tokenSecret: parseEnrollmentToken(token.token).secret }));
    const refused = await send('POST', hubPaths.enrollCheck, { 'content-type': 'application/json' }, enroll);
    expect(refused.status).toBe(426);
  });

  it('is told before its signature is checked: a forged request of an old site gets 426, not 401', async () => {
    const headers = { ...signed('GET', hubPaths.tasks, '1'), 'x-radfed-signature': 'A'.repeat(86) };
    expect((await send('GET', hubPaths.tasks, headers)).status).toBe(426);
  });

  it('a newer site is refused with 426 and told the hub is older', async () => {
    const newer = String(PROTOCOL_VERSION + 1);
    const answer = await send('GET', hubPaths.tasks, signed('GET', hubPaths.tasks, newer));
    expect(answer.status).toBe(426);
    expect(answer.json.error).toBe('site-protocol-too-new');
    expect(answer.json.message).toContain('This site runs a newer RadFed than the hub');
    expect(answer.json.message).toContain('upgrade the hub');
  });

  it('a garbled or overlong header is refused without being quoted back', async () => {
    for (const garbage of ['DOE^JOHN', `2${'9'.repeat(4000)}`, '2.0', '-1']) {
      const answer = await send('GET', hubPaths.tasks, signed('GET', hubPaths.tasks, garbage));
      expect(answer.status).toBe(426);
      expect(answer.json.error).toBe('site-protocol-unknown');
      expect(answer.json.message).not.toContain('DOE');
      expect(answer.json.message).not.toContain('9999');
      expect(answer.json.message).toContain(`install RadFed ${RADFED_RELEASE}`);
    }
  });
});
