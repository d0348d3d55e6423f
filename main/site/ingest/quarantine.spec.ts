import { mkdtempSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { putInQuarantine, removeFromQuarantine, sweepQuarantine } from './quarantine.ts';

describe('quarantine', () => {
  it('stores a copy under a random owner-only name, never the same twice', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'radfed-q-'));
    const a = await putInQuarantine(dir, Buffer.from('identified'));
    const b = await putInQuarantine(dir, Buffer.from('identified'));
    expect(a).not.toBe(b);
    expect(a).toMatch(/^[0-9a-f-]{36}\.dcm$/);
    expect(statSync(join(dir, a)).mode & 0o777).toBe(0o600);
    await removeFromQuarantine(dir, a);
    await removeFromQuarantine(dir, a); // already gone: not an error
    expect(readdirSync(dir)).toEqual([b]);
  });

  it('sweeps copies left by an interrupted run, keeping held files and recent copies', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'radfed-q-'));
    const old = new Date('2020-01-01T00:00:00Z');
    for (const name of ['held.dcm', 'orphan.dcm', 'in-progress.dcm']) writeFileSync(join(dir, name), 'x');
    utimesSync(join(dir, 'held.dcm'), old, old);
    utimesSync(join(dir, 'orphan.dcm'), old, old);
    const swept = await sweepQuarantine(dir, new Set(['held.dcm']), new Date('2021-01-01T00:00:00Z'));
    expect(swept).toBe(1);
    expect(readdirSync(dir).sort()).toEqual(['held.dcm', 'in-progress.dcm']);
  });
});
