// A full disk under the receiver, for real: the site lives on a small tmpfs that the test fills.
// Mounting needs root (the test machines run as root); elsewhere the test says so and skips. And the
// other way a throw could reach the network code's event handlers: the owner's own listener.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, openSync, rmSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AuditLog } from '../audit/index.ts';
import { initSite, openSite } from '../store/index.ts';
import { DicomReceiver, StoreStatus, type ReceiverEvent } from './index.ts';
import { capturingLogger, echoscu, makeSite, storescu, TEST_FILES } from './test-peers.ts';

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

/** A fresh 8 MiB tmpfs, or null when this machine does not let us mount one. */
function smallDisk(): string | null {
  const mountPoint = mkdtempSync(join(tmpdir(), 'radfed-full-disk-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', mountPoint], { stdio: 'ignore' });
  } catch {
    rmSync(mountPoint, { recursive: true, force: true });
    return null;
  }
  cleanups.push(() => {
    execFileSync('umount', ['-l', mountPoint], { stdio: 'ignore' });
    rmSync(mountPoint, { recursive: true, force: true });
  });
  return mountPoint;
}

/** Writes a file until the disk refuses (ENOSPC); returns its path. */
function fill(folder: string): string {
  const path = join(folder, 'filler');
  const fd = openSync(path, 'w');
  const block = Buffer.alloc(64 * 1024, 1);
  try {
    for (;;) writeSync(fd, block);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
  }
  try {
    for (;;) writeSync(fd, block, 0, 1); // the last few bytes too
  } catch {
    // full
  } finally {
    closeSync(fd);
  }
  return path;
}

const canMount = (() => {
  const disk = smallDisk();
  for (const cleanup of cleanups.splice(0)) cleanup();
  return disk !== null;
})();

describe('DICOM receiver on a full disk', () => {
  it.skipIf(!canMount)(
    `keeps running, answers the next C-ECHO and says the disk is full${canMount ? '' : ' (skipped: needs root to mount a small tmpfs)'}`,
    async () => {
      const disk = smallDisk() as string;
      const folder = join(disk, 'site');
      mkdirSync(folder);
      initSite(folder, { name: 'full disk test site', deidOptions: [] });
      const site = openSite(folder);
      cleanups.push(() => site.database.close());
      const { logger, lines } = capturingLogger();
      const events: ReceiverEvent[] = [];
      const receiver = new DicomReceiver({
        site,
        settings: { host: '127.0.0.1', port: 0, aeTitle: 'RADFED', allowedCallingAeTitles: ['PACS'] },
        logger,
        onEvent: (event) => events.push(event),
      });
      const { port } = await receiver.start();

      const filler = fill(disk);
      // The audit write at the end of the association will fail, as it did when the receiver died.
      expect(() => new AuditLog(site.database).append({ type: 'test.probe', actor: 'test' })).toThrow();

      await storescu(port, [join(TEST_FILES, 'CT_small.dcm')]);
      const answered = events.flatMap((event) => (event.type === 'instance-answered' ? [event.verdict] : []));
      expect(answered).toEqual([
        { status: StoreStatus.OutOfResources, reason: 'the instance could not be written to disk (ENOSPC)' },
      ]);
      expect(events).toContainEqual(expect.objectContaining({ type: 'association-closed', stored: 0 }));
      // Still up: it answers the next sender.
      const echo = await echoscu(port);
      expect(echo.code, echo.stderr).toBe(0);
      const warnings = events.flatMap((event) => (event.type === 'warning' ? [event.reason] : []));
      expect(warnings).toEqual([expect.stringMatching(/disk holding the site's database is full/)]);
      expect(lines.join('')).toContain('audit entry could not be written');

      // Space again: the next association is stored and audited, and the warning is lifted.
      rmSync(filler);
      const again = await storescu(port, [join(TEST_FILES, 'CT_small.dcm')]);
      expect(again.code, again.stderr).toBe(0);
      await receiver.whenIngested();
      expect(events.filter((event) => event.type === 'warning').at(-1)).toEqual({
        type: 'warning',
        reason: null,
      });
      const audited = new AuditLog(site.database).list({ type: 'receiver.association' });
      expect(audited.map((entry) => entry.detail.stored)).toEqual([1]);
      await receiver.stop();
    },
  );
});

describe('DICOM receiver: nothing escapes into the network code', () => {
  it("keeps serving when the owner's event listener throws on every event", async () => {
    const { root, site } = makeSite('throwing-listener');
    cleanups.push(() => {
      site.database.close();
      rmSync(root, { recursive: true, force: true });
    });
    const { logger, lines } = capturingLogger();
    let calls = 0;
    const receiver = new DicomReceiver({
      site,
      settings: { host: '127.0.0.1', port: 0, aeTitle: 'RADFED', allowedCallingAeTitles: ['PACS'] },
      logger,
      onEvent: () => {
        calls += 1;
        throw new Error('a listener bug');
      },
    });
    const { port } = await receiver.start();
    const sent = await storescu(port, [join(TEST_FILES, 'CT_small.dcm')]);
    expect(sent.code, sent.stderr).toBe(0);
    const refused = await storescu(port, [join(TEST_FILES, 'CT_small.dcm')], { calling: 'INTRUDER' });
    expect(refused.stderr).toContain('Calling AE Title Not Recognized');
    const echo = await echoscu(port);
    expect(echo.code, echo.stderr).toBe(0);
    await receiver.whenIngested();
    await receiver.stop();
    expect(calls).toBeGreaterThan(5);
    expect(lines.join('')).toContain('receiver event listener failed');
  });
});
