// The small rules of the sync: which proxy applies, how long to wait before trying again, which
// failures are worth another try, and how a hub's refusal is put in words.
import { describe, expect, it } from 'vitest';
import { FederationError, HubRequestError } from '../../../shared/federation/index.ts';
import { backoffDelay, explainHubError, isTransient, proxyFor, withRetries } from './index.ts';

const unreachable = (code: string) =>
  new FederationError('hub-unreachable', `socket said ${code}`, {
    cause: Object.assign(new Error(code), { code }),
  });

describe('proxyFor', () => {
  it('reads HTTPS_PROXY, honours NO_PROXY by host and domain, and leaves the hub direct without a proxy', () => {
    const env = {
      HTTPS_PROXY: 'http://user:pw@proxy.example.org:3128',
      NO_PROXY: 'localhost, .internal.example.org',
    };
    expect(proxyFor('https://hub.example.org:8443', env)?.url.host).toBe('proxy.example.org:3128');
    expect(proxyFor('https://localhost:8443', env)).toBeNull();
    expect(proxyFor('https://hub.internal.example.org', env)).toBeNull();
    expect(proxyFor('https://hub.example.org', { https_proxy: 'proxy:8080' })?.url.href).toBe(
      'http://proxy:8080/',
    );
    expect(proxyFor('https://hub.example.org', { HTTPS_PROXY: 'http://p:1', NO_PROXY: '*' })).toBeNull();
    expect(proxyFor('https://hub.example.org', {})).toBeNull();
  });
});

describe('retries', () => {
  it('waits about twice as long each time, with jitter, up to a cap', () => {
    expect(backoffDelay(1, 500, 30_000, () => 0)).toBe(250);
    expect(backoffDelay(1, 500, 30_000, () => 1)).toBe(500);
    expect(backoffDelay(4, 500, 30_000, () => 0)).toBe(2000);
    expect(backoffDelay(20, 500, 30_000, () => 1)).toBe(30_000);
  });

  it('tries again after transient failures only', async () => {
    let calls = 0;
    const delays: number[] = [];
    const value = await withRetries(
      async () => {
        calls++;
        if (calls < 3) throw unreachable('ECONNRESET');
        return 'done';
      },
      { baseMs: 1, maxMs: 2, onRetry: (_e, _a, delay) => delays.push(delay) },
    );
    expect(value).toBe('done');
    expect(delays).toHaveLength(2);
    let refused = 0;
    await expect(
      withRetries(
        async () => {
          refused++;
          throw new HubRequestError(403, 'forbidden', 'No.', Date.now());
        },
        { baseMs: 1 },
      ),
    ).rejects.toThrow('No.');
    expect(refused).toBe(1);
    expect(isTransient(new HubRequestError(503, 'busy', 'Busy.', null))).toBe(true);
    expect(isTransient(unreachable('ERR_TLS_CERT_ALTNAME_INVALID'))).toBe(false);
  });

  it('stops waiting when asked to stop', async () => {
    const controller = new AbortController();
    const running = withRetries(
      async () => {
        throw unreachable('ECONNREFUSED');
      },
      { baseMs: 60_000, signal: controller.signal },
    );
    controller.abort();
    await expect(running).rejects.toThrow(/Stopped on request/);
  });
});

describe('explainHubError', () => {
  it('names the hub that does not answer, and notes a wrong clock', () => {
    expect(explainHubError(unreachable('ECONNREFUSED'), 'https://hub.example.org:8443').message).toBe(
      'The hub at https://hub.example.org:8443 does not answer: check that it runs and the address (nothing listens on that port).',
    );
    const now = Date.parse('2025-01-01T12:00:00Z');
    const stale = new HubRequestError(
      401,
      'bad-signature',
      'The signature does not verify.',
      now - 9 * 60_000,
    );
    expect(explainHubError(stale, 'https://hub', () => now).message).toMatch(
      /clock differs from the hub's by 9 min/,
    );
  });
});
