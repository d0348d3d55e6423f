// The protocol version's rules on their own: the release the sentences name is package.json's, a
// header is read as a version only when it is one, and which side is told to upgrade.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  hubProtocolProblem,
  OLDEST_HUB_PROTOCOL,
  OLDEST_SITE_PROTOCOL,
  PROTOCOL_VERSION,
  RADFED_RELEASE,
  readProtocolHeader,
  siteProtocolRefusal,
} from './protocol-version.ts';

describe('protocol version', () => {
  it("names package.json's release, and serves its own version", () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    expect(RADFED_RELEASE).toBe(pkg.version);
    expect(OLDEST_SITE_PROTOCOL).toBeLessThanOrEqual(PROTOCOL_VERSION);
    expect(OLDEST_HUB_PROTOCOL).toBeLessThanOrEqual(PROTOCOL_VERSION);
    expect(siteProtocolRefusal({ kind: 'version', version: PROTOCOL_VERSION })).toBeNull();
    expect(hubProtocolProblem({ kind: 'version', version: PROTOCOL_VERSION })).toBeNull();
  });

  it('reads digits only, at most four, one header', () => {
    expect(readProtocolHeader('2')).toEqual({ kind: 'version', version: 2 });
    expect(readProtocolHeader(undefined)).toEqual({ kind: 'absent' });
    for (const garbled of ['', 'two', '2.0', '-2', '12345', ' 2', '2, 2'])
      expect(readProtocolHeader(garbled)).toEqual({ kind: 'garbled' });
    expect(readProtocolHeader(['2', '2'])).toEqual({ kind: 'garbled' });
  });

  it('tells an old site to install the hub release and a new one that the hub is older', () => {
    const hub = { protocol: 5, oldestSite: 4, release: '9.9.9' };
    expect(siteProtocolRefusal({ kind: 'version', version: 4 }, hub)).toBeNull();
    expect(siteProtocolRefusal({ kind: 'version', version: 3 }, hub)).toMatchObject({
      code: 'site-protocol-too-old',
      message: expect.stringContaining('install RadFed 9.9.9') as unknown,
    });
    expect(siteProtocolRefusal({ kind: 'absent' }, hub)?.code).toBe('site-protocol-too-old');
    expect(siteProtocolRefusal({ kind: 'version', version: 6 }, hub)?.message).toContain(
      'newer RadFed than the hub',
    );
    expect(hubProtocolProblem({ kind: 'absent' })).toContain('The hub runs an older RadFed than this site');
    expect(hubProtocolProblem({ kind: 'version', version: OLDEST_HUB_PROTOCOL - 1 })).toContain(
      'upgrade the hub',
    );
  });
});
