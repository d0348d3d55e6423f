import { mkdtempSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadOrCreateSiteSecret, SiteSecretError } from './index.ts';

const tempDir = () => mkdtempSync(join(tmpdir(), 'radfed-secret-'));

describe('site secret', () => {
  it('creates 32 random bytes with mode 0600 and reads the same bytes back', () => {
    const path = join(tempDir(), 'nested', 'site.key');
    const created = loadOrCreateSiteSecret(path);
    expect(created).toHaveLength(32);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(Buffer.from(loadOrCreateSiteSecret(path)).equals(Buffer.from(created))).toBe(true);
  });

  it('refuses a key of the wrong size instead of silently replacing it', () => {
    const path = join(tempDir(), 'site.key');
    writeFileSync(path, Buffer.alloc(5), { mode: 0o600 });
    expect(() => loadOrCreateSiteSecret(path)).toThrow(SiteSecretError);
  });

  it('refuses a key other users can read', () => {
    const path = join(tempDir(), 'site.key');
    writeFileSync(path, Buffer.alloc(32));
    chmodSync(path, 0o644);
    expect(() => loadOrCreateSiteSecret(path)).toThrow(/chmod 600/);
  });
});
