// Enrollment against a real hub over loopback HTTPS: keys and pins kept at the site, tokens that work
// once, and connection problems explained in words.
import { readFileSync, statSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditLog } from '../audit/index.ts';
import { openSite, initSite } from '../store/index.ts';
import { enrollSiteWithHub, federationPaths, isEnrolled, loadEnrollment, SyncError } from './index.ts';
import { makeFederationFixture, type FederationFixture } from './testing/federation-fixture.ts';

let fixture: FederationFixture;

beforeAll(async () => {
  fixture = await makeFederationFixture({ sites: 2, withData: false });
});
afterAll(async () => {
  await fixture?.cleanup();
});

function newSiteDir(name: string): string {
  const dir = join(fixture.root, name);
  initSite(dir, { name, deidOptions: [], consentPolicy: 'opt-out' });
  return dir;
}

async function failure(work: Promise<unknown>): Promise<Error> {
  try {
    await work;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a failure');
}

describe('site enroll', () => {
  it('enrolls with a good token, pins the hub, keeps private keys 0600 and audits it', async () => {
    const dir = fixture.sites[0]!.dir;
    const { token } = await fixture.testHub.hub.createToken();
    const result = await enrollSiteWithHub({ siteDir: dir, token });
    expect(result.siteName).toBe('Test Site 1');
    expect(isEnrolled(dir)).toBe(true);
    const saved = loadEnrollment(dir);
    expect(saved.siteId).toBe(result.siteId);
    expect(saved.caPem).toContain('BEGIN CERTIFICATE');
    expect(saved.hub.signingKeyFingerprint).toBe(fixture.testHub.hub.ctx.keys.signingKeyFingerprint);
    const paths = federationPaths(dir);
    for (const key of [paths.signingKey, paths.exchangeKey]) {
      expect(statSync(key).mode & 0o777).toBe(0o600);
      expect(readFileSync(key, 'utf8')).toContain('PRIVATE KEY');
    }
    // The private keys never went into hub.json.
    expect(readFileSync(paths.hubFile, 'utf8')).not.toContain('PRIVATE KEY');
    expect((await fixture.testHub.hub.ctx.store.sites.siteByName('Test Site 1'))?.id).toBe(result.siteId);
    const site = openSite(dir);
    try {
      const entries = new AuditLog(site.database).list({ type: 'federation.enrolled' });
      expect(entries).toHaveLength(1);
      expect(JSON.stringify(entries[0]!.detail)).not.toContain(token);
    } finally {
      site.database.close();
    }
    const again = await failure(
      enrollSiteWithHub({ siteDir: dir, token: (await fixture.testHub.hub.createToken()).token }),
    );
    expect((again as SyncError).code).toBe('already-enrolled');
  });

  it('refuses a used token and a malformed one with the reason', async () => {
    const { token } = await fixture.testHub.hub.createToken();
    await enrollSiteWithHub({ siteDir: fixture.sites[1]!.dir, token });
    const reused = await failure(enrollSiteWithHub({ siteDir: newSiteDir('Reuser'), token }));
    expect(reused.message).toMatch(/already used/);
    const garbage = await failure(enrollSiteWithHub({ siteDir: newSiteDir('Garbage'), token: 'hello' }));
    expect(garbage.message).toMatch(/not a RadFed enrollment token/);
    expect(isEnrolled(join(fixture.root, 'Reuser'))).toBe(false);
  });

  it('explains a certificate issued for other names than the one dialled', async () => {
    const other = await makeFederationFixture({ sites: 1, withData: false, hosts: ['localhost'] });
    try {
      const { token } = await other.testHub.hub.createToken(); // carries https://127.0.0.1:port
      const error = await failure(enrollSiteWithHub({ siteDir: other.sites[0]!.dir, token }));
      expect(error.message).toMatch(/certificate is for localhost, but you connected to 127\.0\.0\.1/);
      const viaName = await enrollSiteWithHub({
        siteDir: other.sites[0]!.dir,
        token,
        hubUrl: `https://localhost:${other.testHub.hub.port}`,
      });
      expect(viaName.hubUrl).toBe(`https://localhost:${other.testHub.hub.port}`);
    } finally {
      await other.cleanup();
    }
  });

  it('says the hub does not answer when it is down', async () => {
    const { token } = await fixture.testHub.hub.createToken();
    // A port nothing listens on: take a free one and close it.
    const port = await freePort();
    const url = `https://127.0.0.1:${port}`;
    const error = await failure(enrollSiteWithHub({ siteDir: newSiteDir('Lonely'), token, hubUrl: url }));
    expect(error).toBeInstanceOf(SyncError);
    expect(error.message).toBe(
      `The hub at ${url} does not answer: check that it runs and the address (nothing listens on that port).`,
    );
  });

  it('goes through an HTTPS proxy (CONNECT) and explains a proxy that refuses', async () => {
    const seen: string[] = [];
    const proxy = await startConnectProxy(seen, 200);
    const refusing = await startConnectProxy([], 403);
    try {
      const { token } = await fixture.testHub.hub.createToken();
      const env = { HTTPS_PROXY: `http://127.0.0.1:${proxy.port}` };
      const result = await enrollSiteWithHub({ siteDir: newSiteDir('Behind Proxy'), token, env });
      expect(result.viaProxy).toBe(`127.0.0.1:${proxy.port}`);
      expect(seen).toEqual([
        `127.0.0.1:${fixture.testHub.hub.port}`,
        `127.0.0.1:${fixture.testHub.hub.port}`,
      ]);
      const error = await failure(
        enrollSiteWithHub({
          siteDir: newSiteDir('Blocked'),
          token: (await fixture.testHub.hub.createToken()).token,
          env: { HTTPS_PROXY: `http://127.0.0.1:${refusing.port}` },
        }),
      );
      expect(error.message).toMatch(/proxy refused the tunnel \(HTTP 403\)/);
      // NO_PROXY sends the hub's traffic around the proxy.
      const direct = await enrollSiteWithHub({
        siteDir: newSiteDir('Exempt'),
        token: (await fixture.testHub.hub.createToken()).token,
        env: { HTTPS_PROXY: `http://127.0.0.1:${refusing.port}`, NO_PROXY: 'example.org,127.0.0.1' },
      });
      expect(direct.viaProxy).toBeNull();
    } finally {
      proxy.server.close();
      refusing.server.close();
    }
  });
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A minimal forward proxy: answers CONNECT with `status`, and when 200 pipes bytes both ways. */
async function startConnectProxy(seen: string[], status: number): Promise<{ server: Server; port: number }> {
  const server = createServer((client) => {
    client.once('data', (head) => {
      const line = head.toString('latin1').split('\r\n')[0] ?? '';
      const match = /^CONNECT (\S+) HTTP\/1\.1$/.exec(line);
      if (!match || status !== 200) {
        client.end(`HTTP/1.1 ${status} Forbidden\r\nContent-Length: 0\r\n\r\n`);
        return;
      }
      const target = match[1]!;
      seen.push(target);
      const [host, port] = [
        target.slice(0, target.lastIndexOf(':')),
        Number(target.slice(target.lastIndexOf(':') + 1)),
      ];
      const upstream = connect(port, host, () => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        upstream.pipe(client);
        client.pipe(upstream);
      });
      upstream.on('error', () => client.destroy());
      client.on('error', () => upstream.destroy());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as { port: number }).port };
}
