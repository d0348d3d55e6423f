import { X509Certificate } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { certificateFingerprint } from '../../shared/node/federation/index.ts';
import { encodeWeights } from '../../shared/federation/index.ts';
import { setCoordinatorPassword } from '../dashboard/index.ts';
import { TEST_SCRYPT_COST } from '../dashboard/testing/dashboard-client.ts';
import { startHub } from '../server/start-hub.ts';
import { createTask } from '../tasks.ts';
import { testTask, testWeights } from '../testing/test-hub.ts';
import { HubStore } from '../store/index.ts';
import { initHub } from './hub-init.ts';
import { loadHubKeys } from './hub-keys.ts';

const roots: string[] = [];
function tempDir(): string {
  const root = mkdtempSync(join(tmpdir(), 'radfed-hub-init-'));
  roots.push(root);
  return join(root, 'hub');
}
afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

describe('radfed hub init', () => {
  it('creates database, blob store, CA, server certificate with the SANs, and 0600 private keys', async () => {
    const dir = tempDir();
    const { layout, config } = await initHub({ dir, hosts: ['hub.example.org', '10.1.2.3', 'localhost'] });
    expect(config.hosts).toEqual(['hub.example.org', '10.1.2.3', 'localhost']);
    for (const key of [layout.caKey, layout.serverKey, layout.signingKey, layout.exchangeKey]) {
      expect(statSync(key).mode & 0o777).toBe(0o600);
    }
    const ca = new X509Certificate(readFileSync(layout.caCert));
    const server = new X509Certificate(readFileSync(layout.serverCert));
    expect(ca.ca).toBe(true);
    expect(server.ca).toBe(false);
    expect(server.checkIssued(ca)).toBe(true);
    expect(server.verify(ca.publicKey)).toBe(true);
    expect(server.subjectAltName).toContain('DNS:hub.example.org');
    expect(server.subjectAltName).toContain('IP Address:10.1.2.3');
    expect(server.checkHost('hub.example.org')).toBe('hub.example.org');
    expect(server.checkIP('10.1.2.3')).toBe('10.1.2.3');
    expect(server.checkHost('evil.example.org')).toBeUndefined();
    const keys = loadHubKeys(layout);
    expect(keys.caFingerprint).toBe(certificateFingerprint(readFileSync(layout.caCert, 'utf8')));
    expect(keys.serverChainPem).toContain(ca.toString().trim());
    const store = HubStore.open(layout.database, layout);
    expect(await store.sql.get('PRAGMA journal_mode')).toEqual({ journal_mode: 'wal' });
    const sha = await store.blobs.put(Buffer.from('hello'));
    expect((await store.blobs.read(sha)).toString()).toBe('hello');
    await store.close();
  });

  it('defaults to localhost and 127.0.0.1', async () => {
    const { layout } = await initHub({ dir: tempDir() });
    const server = new X509Certificate(readFileSync(layout.serverCert));
    expect(server.checkHost('localhost')).toBe('localhost');
    expect(server.checkIP('127.0.0.1')).toBe('127.0.0.1');
  });

  it('refuses an existing hub, a non-empty folder and a malformed host name', async () => {
    const dir = tempDir();
    await initHub({ dir });
    await expect(initHub({ dir })).rejects.toThrow(/already holds a hub/);
    await expect(initHub({ dir: tempDir(), hosts: ['bad host!'] })).rejects.toThrow(/neither a host name/);
    const full = tempDir();
    mkdirSync(full);
    writeFileSync(join(full, 'notes.txt'), 'keep me');
    await expect(initHub({ dir: full })).rejects.toThrow(/not empty/);
    expect(readFileSync(join(full, 'notes.txt'), 'utf8')).toBe('keep me');
  });
});

/** Every entry under dir whose mode lets anyone but the owner in: "path 0644". */
function openToOthers(dir: string): string[] {
  const found: string[] = [];
  const visit = (path: string) => {
    const stats = lstatSync(path);
    if ((stats.mode & 0o077) !== 0)
      found.push(`${relative(dir, path) || '.'} ${(stats.mode & 0o777).toString(8)}`);
    if (stats.isDirectory()) for (const name of readdirSync(path)) visit(join(path, name));
  };
  visit(dir);
  return found;
}

describe('the hub folder is private', () => {
  it('makes an existing empty 0777 folder 0700 and every file in it 0600', async () => {
    const dir = tempDir();
    mkdirSync(dir);
    chmodSync(dir, 0o777);
    const { layout } = await initHub({ dir });
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(layout.database).mode & 0o777).toBe(0o600);
    expect(statSync(layout.config).mode & 0o777).toBe(0o600);
    expect(openToOthers(dir)).toEqual([]);
  });

  it('keeps files the running hub writes later private, and closes a folder opened up by hand', async () => {
    const dir = tempDir();
    const { layout } = await initHub({ dir });
    for (const path of [dir, layout.blobs, layout.uploads]) chmodSync(path, 0o755);
    for (const path of [layout.database, layout.config, layout.caCert]) chmodSync(path, 0o644);
    const hub = await startHub({ dir, port: 0, logger: false });
    try {
      expect(openToOthers(dir)).toEqual([]);
      // What the hub and the coordinator command write afterwards: a model blob, the sqlite -wal and
      // -shm (the accounts are rows in the database).
      await createTask(hub.ctx, testTask(), encodeWeights(testWeights()));
      await setCoordinatorPassword(dir, 'coordinator', 'correct horse battery staple', {
        cost: TEST_SCRYPT_COST,
      });
      expect(readdirSync(dir)).toEqual(expect.arrayContaining(['hub.db-wal']));
      expect(readdirSync(layout.blobs, { recursive: true }).length).toBeGreaterThan(0);
      expect(openToOthers(dir)).toEqual([]);
    } finally {
      await hub.close();
    }
  });

  it.skipIf(process.getuid?.() !== 0)(
    'refuses a folder that belongs to another user (needs root to give one away)',
    async () => {
      const dir = tempDir();
      mkdirSync(dir);
      chownSync(dir, 65534, 65534);
      await expect(initHub({ dir })).rejects.toThrow(/belongs to another user \(uid 65534\)/);
      expect(readdirSync(dir)).toEqual([]);
    },
  );
});
