import { describe, expect, it } from 'vitest';
import { IpcChannel, createRadfedApi, ipcContract, ipcFail, ipcOk, RadfedApiError } from './index.ts';
import type { SiteStatus } from './index.ts';

const status: SiteStatus = {
  siteName: 'North',
  directory: '/tmp/site',
  consentPolicy: 'opt-in',
  deidOptions: [],
  counts: { patients: 1, studies: 1, series: 1, instances: 1, held: 0, rejected: 0 },
  lastIngestAt: null,
};

describe('createRadfedApi', () => {
  it('sends site.status() on the site:status channel with no payload and returns the value', async () => {
    const calls: [string, unknown][] = [];
    const api = createRadfedApi(async (channel, payload) => {
      calls.push([channel, payload]);
      return ipcOk(status);
    });
    await expect(api.site.status()).resolves.toEqual(status);
    expect(calls).toEqual([[IpcChannel.siteStatus, undefined]]);
  });

  it('throws a RadfedApiError carrying the code and sentence of an error envelope', async () => {
    const api = createRadfedApi(async () => ipcFail('unauthorized', 'The access token is missing or wrong.'));
    const failure = await api.site.status().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(RadfedApiError);
    expect(failure).toMatchObject({ code: 'unauthorized', message: 'The access token is missing or wrong.' });
  });

  it('throws bad-response when the transport answers something that is not an envelope', async () => {
    const api = createRadfedApi(async () => ({ counts: {} }));
    await expect(api.site.status()).rejects.toMatchObject({ code: 'bad-response' });
  });

  it('returns a frozen object, so page scripts cannot swap a method', () => {
    const api = createRadfedApi(async () => ipcOk(status));
    expect(Object.isFrozen(api)).toBe(true);
    expect(Object.isFrozen(api.site)).toBe(true);
  });
});

describe('ipcContract requests', () => {
  it('site:status accepts no payload and rejects any value', () => {
    expect(ipcContract['site:status'].request.safeParse(undefined).success).toBe(true);
    expect(ipcContract['site:status'].request.safeParse({}).success).toBe(false);
    expect(ipcContract['site:status'].request.safeParse('x').success).toBe(false);
  });
});
