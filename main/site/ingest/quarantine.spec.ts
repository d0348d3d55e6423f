import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { currentOwner, isOwnerAlive } from './ingest-owner.ts';
import { goneOwner } from './test-ingest-support.ts';
import { cleanQuarantine, copyIntoQuarantine, keepAsHeld, removeFromQuarantine } from './quarantine.ts';

describe('quarantine', () => {
  it('copies a file under a random owner-only in-flight name of this process, never the same twice', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'radfed-q-'));
    const source = join(dir, '..', `${Date.now()}-source.dcm`);
    writeFileSync(source, 'identified');
    const a = await copyIntoQuarantine(dir, source);
    const b = await copyIntoQuarantine(dir, source);
    expect(a.name).not.toBe(b.name);
    expect(a.name).toMatch(new RegExp(`^[0-9a-f-]{36}\\.${currentOwner()}\\.ingesting$`));
    expect(a.sha256).toBe(b.sha256);
    expect(statSync(join(dir, a.name)).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(dir, a.name), 'utf8')).toBe('identified');
    await keepAsHeld(dir, b);
    await removeFromQuarantine(dir, a.name);
    await removeFromQuarantine(dir, a.name); // already gone: not an error
    expect(readdirSync(dir)).toEqual([b.heldName]);
  });

  it('tells a live owner from one that is gone', () => {
    expect(isOwnerAlive(currentOwner())).toBe(true);
    expect(isOwnerAlive(goneOwner())).toBe(false);
    expect(isOwnerAlive(null)).toBe(false);
    expect(isOwnerAlive('another-host_1_1')).toBe(true); // cannot be checked from here: left alone
  });

  it('removes copies of gone processes and unrecorded ones; keeps held files, live copies and the receiver queue', () => {
    const dir = mkdtempSync(join(tmpdir(), 'radfed-q-'));
    const gone = goneOwner();
    const uuid = (n: number) => `00000000-0000-4000-8000-00000000000${n}`;
    const names = {
      held: `${uuid(1)}.dcm`,
      unrecorded: `${uuid(2)}.dcm`,
      live: `${uuid(3)}.${currentOwner()}.ingesting`,
      dead: `${uuid(4)}.${gone}.ingesting`,
      // Held entry recorded, rename not done when the process died: the copy is moved into place.
      halfHeld: `${uuid(5)}.${gone}.ingesting`,
    };
    for (const name of Object.values(names)) writeFileSync(join(dir, name), 'x');
    const incoming = join(dir, 'incoming');
    mkdirSync(incoming);
    writeFileSync(join(incoming, 'queued.dcm'), 'x');
    const held = new Set([names.held, `${uuid(5)}.dcm`]);
    const result = cleanQuarantine(dir, () => held);
    expect(result).toEqual({ removed: 2, restored: 1 });
    expect(readdirSync(dir).sort()).toEqual([names.held, names.live, `${uuid(5)}.dcm`, 'incoming'].sort());
    expect(readdirSync(incoming)).toEqual(['queued.dcm']);
  });
});
