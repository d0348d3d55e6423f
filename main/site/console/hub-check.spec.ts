// "Check the connection" against a real hub on loopback HTTPS: the hub is asked whether the token would
// work now (expired, used, revoked and unknown tokens are refused in words) and the token stays unused.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatEnrollmentToken, parseEnrollmentToken } from '../../../shared/node/federation/index.ts';
import { makeTestHub, type TestHub } from '../../../hub/testing/test-hub.ts';
import { initSite } from '../store/index.ts';
import { enrollSiteWithHub } from '../federation/index.ts';
import { checkHubConnection } from './hub-check.ts';

let hub: TestHub;
let root: string;
const NO_PROXY = {};

beforeAll(async () => {
  hub = await makeTestHub();
  root = mkdtempSync(join(tmpdir(), 'radfed-hub-check-'));
});
afterAll(async () => {
  await hub?.cleanup();
  rmSync(root, { recursive: true, force: true });
});

async function refusal(work: Promise<unknown>): Promise<Error> {
  try {
    await work;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the check to fail');
}

describe('checking the hub connection before enrolling', () => {
  it('is green for a fresh token, says until when it works, and leaves it unused', async () => {
    const { token } = await hub.hub.createToken();
    const result = await checkHubConnection({ token, siteName: "St Mary's Radiology" }, NO_PROXY);
    expect(result.sentence).toMatch(/token is unused and valid until \d{4}-\d\d-\d\d \d\d:\d\d UTC/);
    expect(result.expiresAt).not.toBeNull();
    // Checked twice, then used: the check spent nothing.
    await checkHubConnection({ token }, NO_PROXY);
    const dir = join(root, 'st-marys');
    initSite(dir, { name: "St Mary's Radiology", deidOptions: [], consentPolicy: 'opt-out' });
    await expect(enrollSiteWithHub({ siteDir: dir, token })).resolves.toMatchObject({
      siteName: "St Mary's Radiology",
    });
  });

  it('is red, in words, for an expired token', async () => {
    const { token } = await hub.hub.createToken({ expiresInMs: 60_000 });
    hub.shiftClock(120_000);
    try {
      const error = await refusal(checkHubConnection({ token }, NO_PROXY));
      expect(error.message).toMatch(/This enrollment token expired on .* ask the coordinator for a new one/);
    } finally {
      hub.shiftClock(-120_000);
    }
  });

  it('is red for a token already used', async () => {
    const { token } = await hub.hub.createToken();
    const dir = join(root, 'used');
    initSite(dir, { name: 'Used Token Site', deidOptions: [], consentPolicy: 'opt-out' });
    await enrollSiteWithHub({ siteDir: dir, token });
    const error = await refusal(checkHubConnection({ token }, NO_PROXY));
    expect(error.message).toMatch(/already used on .*a token works once/);
  });

  it('is red for a token the hub does not know (a secret changed)', async () => {
    const good = parseEnrollmentToken((await hub.hub.createToken()).token);
    const forged = formatEnrollmentToken({ ...good, secret: 'A'.repeat(43) });
    const error = await refusal(checkHubConnection({ token: forged }, NO_PROXY));
    expect(error.message).toMatch(/not known to this hub/);
  });

  it('is red for a token made for another site name', async () => {
    const { token } = await hub.hub.createToken({ siteName: 'Northern General' });
    const error = await refusal(checkHubConnection({ token, siteName: 'Southern' }, NO_PROXY));
    expect(error.message).toMatch(/is for the site "Northern General", not "Southern"/);
  });

  it('refuses an address without https:// before reaching anything', async () => {
    const { token } = await hub.hub.createToken();
    const error = await refusal(checkHubConnection({ token, url: 'hub.example.org:8443' }, NO_PROXY));
    expect(error.message).toMatch(/starts with https:\/\/.*type https:\/\/hub.example.org:8443/);
  });
});
