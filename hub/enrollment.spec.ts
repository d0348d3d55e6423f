// Enrollment against a real hub over HTTPS on loopback: good, reused, expired, wrong-site tokens, and
// a token whose pins do not match the server (the first connection cannot be intercepted).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enrollSite, formatEnrollmentToken, parseEnrollmentToken } from '../shared/node/federation/index.ts';
import { refusal } from './testing/hub-refusal.ts';
import { enrollTestSite, makeTestHub, type TestHub } from './testing/test-hub.ts';

let test: TestHub;
beforeAll(async () => {
  test = await makeTestHub();
});
afterAll(() => test.cleanup());

describe('enrollment', () => {
  it('enrolls a site with a good token, pinning the CA and signing key from the token', async () => {
    const { enrollment, client } = await enrollTestSite(test.hub, 'St Elsewhere');
    expect(enrollment.siteName).toBe('St Elsewhere');
    expect(enrollment.caPem).toContain('BEGIN CERTIFICATE');
    expect(enrollment.hub.signingPublicKey).toBe(test.hub.ctx.keys.signingPublicKey);
    expect((await test.hub.ctx.store.sites.site(enrollment.siteId))?.name).toBe('St Elsewhere');
    expect(await client.listTasks()).toEqual([]);
  });

  it('rejects a token used twice, saying it works once', async () => {
    const { token } = await test.hub.createToken();
    await enrollSite({ token, siteName: 'First' });
    const error = await refusal(enrollSite({ token, siteName: 'Second' }));
    expect(error.status).toBe(401);
    expect(error.hubCode).toBe('token-used');
    expect(error.message).toMatch(/already used.*works once/);
    expect(await test.hub.ctx.store.sites.siteByName('Second')).toBeUndefined();
  });

  it('rejects an expired token with the time it expired', async () => {
    const { token } = await test.hub.createToken({ expiresInMs: 60_000 });
    test.shiftClock(2 * 60_000);
    try {
      const error = await refusal(enrollSite({ token, siteName: 'Late' }));
      expect(error.hubCode).toBe('token-expired');
      expect(error.message).toMatch(/expired on \d{4}-\d\d-\d\d \d\d:\d\d UTC/);
    } finally {
      test.shiftClock(-2 * 60_000);
    }
  });

  it('rejects a token made for another site name, and a name already taken', async () => {
    const named = await test.hub.createToken({ siteName: 'Northern General' });
    const error = await refusal(enrollSite({ token: named.token, siteName: 'Southern' }));
    expect(error.hubCode).toBe('token-for-other-site');
    await enrollSite({ token: named.token, siteName: 'Northern General' });
    const taken = await refusal(
      enrollSite({ token: (await test.hub.createToken()).token, siteName: 'Northern General' }),
    );
    expect(taken.hubCode).toBe('site-name-taken');
  });

  it('rejects an unknown secret', async () => {
    const token = parseEnrollmentToken((await test.hub.createToken()).token);
    const forged = formatEnrollmentToken({ ...token, secret: 'B'.repeat(43) });
    expect((await refusal(enrollSite({ token: forged, siteName: 'Forger' }))).hubCode).toBe('unknown-token');
  });

  it('will not talk to a server whose CA or signing key differs from the pins', async () => {
    const token = parseEnrollmentToken((await test.hub.createToken()).token);
    const wrongCa = formatEnrollmentToken({ ...token, caFingerprint: '0'.repeat(32) });
    await expect(enrollSite({ token: wrongCa, siteName: 'Pinned' })).rejects.toThrow(
      /not the hub your token was made for/,
    );
    const wrongKey = formatEnrollmentToken({ ...token, signingKeyFingerprint: '1'.repeat(32) });
    await expect(enrollSite({ token: wrongKey, siteName: 'Pinned' })).rejects.toThrow(
      /signing key does not match/,
    );
    // Neither attempt used the token: the site can still enroll with the real one.
    const good = await enrollSite({ token: formatEnrollmentToken(token), siteName: 'Pinned' });
    expect(good.siteName).toBe('Pinned');
  });

  it('explains a host name that is not in the certificate', async () => {
    const elsewhere = await makeTestHub({ hosts: ['hub.example.org', '10.9.8.7'] });
    try {
      const { token } = await elsewhere.hub.createToken();
      await expect(enrollSite({ token, siteName: 'Dialled by IP' })).rejects.toThrow(
        /certificate is for hub\.example\.org, 10\.9\.8\.7, but you connected to 127\.0\.0\.1/,
      );
    } finally {
      await elsewhere.cleanup();
    }
  });
});
