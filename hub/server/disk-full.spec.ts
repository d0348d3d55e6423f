// A hub whose disk fills up, a real one: its folder on a small tmpfs mounted for the spec (root only;
// elsewhere the test skips, saying so), filled to the last byte by another file. A site's upload was
// answered 500 "the hub failed, see its log", which told neither the site nor the coordinator what
// was wrong; it is now 503 hub-disk-full with a wait, and the same upload goes through once space is
// freed (nothing half-written stands in its way).
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, rmSync, statfsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { HubRequestError } from '../../shared/federation/index.ts';
import { enrollSite, HubClient, sealUpdate } from '../../shared/node/federation/index.ts';
import { initHub } from '../setup/index.ts';
import { createTask } from '../tasks.ts';
import { testTask, testWeights } from '../testing/test-hub.ts';
import { startHub, type RunningHub } from './start-hub.ts';

const mountPoint = mkdtempSync(join(tmpdir(), 'radfed-hub-full-'));

function tryMount(): boolean {
  if (process.getuid?.() !== 0) return false;
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=16m', 'tmpfs', mountPoint], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

// Mounted as the file loads: skipIf reads it when the tests are collected.
const mounted = tryMount();
let hub: RunningHub | undefined;

afterAll(async () => {
  await hub?.close();
  if (mounted) execFileSync('umount', [mountPoint], { stdio: 'ignore' });
  rmSync(mountPoint, { recursive: true, force: true });
});

/** Fills the disk: a file that grows until the disk refuses another byte. */
function fillDisk(path: string): void {
  const { bavail, bsize } = statfsSync(mountPoint);
  let block = Math.max(4096, bavail * bsize);
  while (block >= 1) {
    try {
      appendFileSync(path, Buffer.alloc(block));
    } catch (error) {
      if ((error as { code?: string }).code !== 'ENOSPC') throw error;
      block = Math.floor(block / 2);
    }
  }
}

it.skipIf(!mounted)(
  'answers an upload on a full disk with 503 hub-disk-full, and takes it once space is freed (skips where a tmpfs cannot be mounted: not root)',
  async () => {
    const dir = join(mountPoint, 'hub');
    await initHub({ dir, name: 'full disk hub' });
    hub = await startHub({ dir, port: 0, logger: false, tickMs: 100 });
    const enrollment = await enrollSite({ token: (await hub.createToken()).token, siteName: 'Full disk' });
    const client = HubClient.fromEnrollment(enrollment);
    const taskId = (await createTask(hub.ctx, testTask({ rounds: 1 }))).id;
    await client.joinTask(taskId, { train: 20, validation: 5 });
    const initial = sealUpdate({
      taskId,
      round: 0,
      siteId: client.siteId,
      kind: 'initial',
      weights: testWeights(4),
      baseVersion: null,
      examples: 1,
      compression: 'none',
      hubExchangePublicKey: client.hub.exchangePublicKey,
    });

    const filler = join(mountPoint, 'filler');
    fillDisk(filler);
    const refused = await client.uploadSealed(taskId, initial).then(
      () => null,
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(HubRequestError);
    expect((refused as HubRequestError).status).toBe(503);
    expect((refused as HubRequestError).hubCode).toBe('hub-disk-full');
    expect((refused as HubRequestError).message).toMatch(/disk is full.*free space/);

    rmSync(filler);
    const sent = await client.uploadSealed(taskId, initial);
    expect(sent.submission.state).toBe('accepted');
    expect((await client.getRound(taskId)).latestVersion).toBe(0);
  },
  60_000,
);
