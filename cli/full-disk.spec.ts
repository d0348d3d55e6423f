// Commands on a full disk, a real one: a small tmpfs mounted for the spec (root only; elsewhere the
// tests skip, saying so). `hub init` said "this looks like a bug" (SQLITE_FULL) and left a half-made
// folder that the next `hub init` refused as "not empty" once space was freed.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { runRadfed } from './test-cli.ts';

const mountPoint = mkdtempSync(join(tmpdir(), 'radfed-full-disk-'));
function tryMount(): boolean {
  if (process.getuid?.() !== 0) return false;
  try {
    // 128 KiB: the hub's keys and certificates fit, its database (about 250 KiB) does not.
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=128k', 'tmpfs', mountPoint], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

// Mounted as the file loads: skipIf reads it when the tests are collected.
const mounted = tryMount();
afterAll(() => {
  if (mounted) execFileSync('umount', [mountPoint], { stdio: 'ignore' });
  rmSync(mountPoint, { recursive: true, force: true });
});

it.skipIf(!mounted)(
  'hub init on a full disk says so in words, leaves no half-made folder, and works there once space is freed (skips where a tmpfs cannot be mounted: not root)',
  async () => {
    const dir = join(mountPoint, 'hub');
    const failed = await runRadfed('hub', 'init', '--dir', dir);
    expect(failed.status).toBe(1);
    expect(failed.err).toMatch(/^radfed: The disk is full .*\n$/);
    expect(failed.err).not.toContain('bug');
    expect(existsSync(dir)).toBe(false);
    // Space freed (the disk grown): the same command, in the same folder, now works.
    execFileSync('mount', ['-o', 'remount,size=8m', mountPoint], { stdio: 'ignore' });
    const again = await runRadfed('hub', 'init', '--dir', dir);
    expect(again.err).toBe('');
    expect(again.status).toBe(0);
    expect(existsSync(join(dir, 'hub.json'))).toBe(true);
  },
  60_000,
);

const siteMount = mkdtempSync(join(tmpdir(), 'radfed-full-disk-site-'));
function tryMountSite(): boolean {
  if (!mounted) return false;
  try {
    // 64 KiB: the site's key and folders fit, its database does not.
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', siteMount], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const siteMounted = tryMountSite();
afterAll(() => {
  if (siteMounted) execFileSync('umount', [siteMount], { stdio: 'ignore' });
  rmSync(siteMount, { recursive: true, force: true });
});

it.skipIf(!siteMounted)(
  'site init on a full disk says the disk is full, not "restore it from backup", and works there once space is freed (skips where a tmpfs cannot be mounted: not root)',
  async () => {
    const dir = join(siteMount, 'site');
    const failed = await runRadfed('site', 'init', '--dir', dir, '--consent-policy', 'opt-in');
    expect(failed.status).toBe(1);
    expect(failed.err).toMatch(/^radfed: The disk that holds .* is full: free some space on it/);
    expect(failed.err).not.toMatch(/backup|bug/);
    execFileSync('mount', ['-o', 'remount,size=8m', siteMount], { stdio: 'ignore' });
    const again = await runRadfed('site', 'init', '--dir', dir, '--consent-policy', 'opt-in');
    expect(again.err).toBe('');
    expect(again.status).toBe(0);
    expect(existsSync(join(dir, 'site.json'))).toBe(true);
  },
  60_000,
);
