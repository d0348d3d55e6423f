// `radfed site held …` through the real entry, on a real site whose ingest held real files: the list
// in plain words, show, release as is with the checker's name, purge, and that no patient name or ID
// is ever printed.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { HeldActionResult, HeldQueueFile } from '../shared/ipc/index.ts';
import { AuditLog, openSiteDatabase, sitePaths } from '../main/site/index.ts';
import { openHeldTestSite, PATIENT_ID, type HeldTestSite } from '../main/site/held/held-test-support.ts';
import { runRadfedChild } from '../main/site/ingest/test-ingest-support.ts';
import { runRadfed } from './test-cli.ts';

let t: HeldTestSite;
let dir: string;
beforeEach(async () => {
  t = await openHeldTestSite();
  dir = t.site.directory;
  t.site.database.close(); // the command opens the site itself
});
afterEach(() => t.close());

const noPatient = (text: string) => {
  expect(text).not.toContain('MORIARTY');
  expect(text).not.toContain(PATIENT_ID);
};

async function heldList(): Promise<HeldQueueFile[]> {
  const run = await runRadfed('site', 'held', 'list', '--dir', dir, '--json');
  expect(run.status).toBe(0);
  return JSON.parse(run.out) as HeldQueueFile[];
}

describe('radfed site held', () => {
  it('lists each held file by number with why in plain words and what can be done', async () => {
    const run = await runRadfed('site', 'held', 'list', '--dir', dir);
    expect(run.status).toBe(0);
    expect(run.out).toMatch(
      /^Held file \d \(imported, held \d{4}-\d\d-\d\d \d\d:\d\d UTC\)\n {2}(This is|The image says)/,
    );
    expect(run.out).toMatch(/\n {2}The image says it has text written into the picture itself/);
    expect(run.out).toMatch(/You can: clean .*; release as is once checked .*; delete/);
    expect(run.out).not.toMatch(/\(\d{4},\d{4}\)/);
    noPatient(run.out + run.err);
    noPatient(JSON.stringify(await heldList()));
  });

  it('shows one held file with the technical detail', async () => {
    const ct = (await heldList()).find((f) => f.technicalReason.includes('is YES'));
    const run = await runRadfed('site', 'held', 'show', '--dir', dir, '--id', String(ct?.id));
    expect(run.status).toBe(0);
    expect(run.out).toMatch(
      /Technical detail: not released: burned-in text: Burned In Annotation \(0028,0301\) is YES/,
    );
    noPatient(run.out);
  });

  it('releases as is with the name of the person who checked, audited under the account that ran it', async () => {
    const [first] = await heldList();
    if (!first) throw new Error('expected held files');
    const run = await runRadfed(
      'site',
      'held',
      'release',
      '--dir',
      dir,
      '--id',
      String(first.id),
      '--checked-by',
      'Ann Radiographer',
      '--json',
    );
    expect(run.status).toBe(0);
    expect(JSON.parse(run.out)).toEqual({
      outcome: 'released',
      id: first.id,
      how: 'as-is',
    } satisfies HeldActionResult);
    noPatient(run.out + run.err);
    expect((await heldList()).map((f) => f.id)).not.toContain(first.id);
    const db = openSiteDatabase(sitePaths(dir).database);
    try {
      const [entry] = new AuditLog(db).list({ type: 'held.released' });
      expect(entry?.detail).toMatchObject({ confirmedBy: 'Ann Radiographer' });
      expect(entry?.actor).not.toBe('operator');
      expect(entry?.actor).not.toBe('');
    } finally {
      db.close();
    }
  });

  it('refuses to release as is without the checker name, and says what to add', async () => {
    const run = await runRadfed('site', 'held', 'release', '--dir', dir, '--id', '1');
    expect(run.status).not.toBe(0);
    expect(run.err).toMatch(/--checked-by/);
    expect(await heldList()).toHaveLength(2);
  });

  it('purges a held file: its identified copy leaves quarantine', async () => {
    const run = await runRadfed('site', 'held', 'purge', '--dir', dir, '--id', '2');
    expect(run.status).toBe(0);
    expect(run.out).toBe('Held file 2 was deleted from quarantine.\n');
    expect(await heldList()).toHaveLength(1);
    expect(readdirSync(sitePaths(dir).quarantine).filter((n) => n.endsWith('.dcm'))).toHaveLength(1);
  });

  it('writes the picture of a held file to a PNG on this computer with show --preview', async () => {
    const png = join(t.root, 'preview.png');
    const run = await runRadfed('site', 'held', 'show', '--dir', dir, '--id', '1', '--preview', png);
    expect(run.status).toBe(0);
    expect(run.out).toMatch(/Picture written to .*preview\.png \(\d+ x \d+ pixels\)/);
    const bytes = readFileSync(png);
    expect(bytes.subarray(1, 4).toString('latin1')).toBe('PNG');
    noPatient(bytes.toString('latin1'));
  });

  it('cleans a held image with real OCR and releases it when the second reading finds nothing', async () => {
    const ct = (await heldList()).find((f) => f.technicalReason.includes('is YES'));
    const run = await runRadfed('site', 'held', 'clean', '--dir', dir, '--id', String(ct?.id));
    expect(run.err).toBe('');
    expect(run.out).toBe(
      `Held file ${ct?.id} was cleaned, de-identified and stored in the research store; its identified copy was deleted.\n`,
    );
    expect(await heldList()).toHaveLength(1);
  }, 60_000);

  it('shows and sets the held-file policy, and refuses a change IT locked', async () => {
    expect((await runRadfed('site', 'held', 'policy', '--dir', dir)).out).toBe(
      'Images that may have text in the picture: hold.\n',
    );
    const set = await runRadfed('site', 'held', 'policy', '--dir', dir, '--set', 'clean-and-ask');
    expect(set.out).toBe('Images that may have text in the picture: clean-and-ask.\n');
    const machine = join(t.root, 'machine');
    mkdirSync(machine);
    writeFileSync(join(machine, 'locked.json'), JSON.stringify({ 'studies.heldFilePolicy': 'hold' }));
    process.env.RADFED_SETTINGS_DIR = machine;
    try {
      const refused = await runRadfed('site', 'held', 'policy', '--dir', dir, '--set', 'clean-automatically');
      expect(refused.status).toBe(1);
      expect(refused.err).toMatch(/locked by your IT department/);
    } finally {
      delete process.env.RADFED_SETTINGS_DIR;
    }
  });

  it('runs as a real process: the list in words, nothing of the patient on stdout or stderr', async () => {
    const run = await runRadfedChild(t.root, ['site', 'held', 'list', '--dir', dir]);
    expect(run.status).toBe(0);
    expect(run.out).toMatch(/^Held file \d \(imported, held /);
    noPatient(run.out + run.err);
  }, 60_000);

  it('says a number that is not held is not found, and exits 1', async () => {
    const run = await runRadfed('site', 'held', 'purge', '--dir', dir, '--id', '99');
    expect(run.status).toBe(1);
    expect(run.err).toMatch(/There is no held file number 99/);
  });
});
