// A withdrawal removes every identified copy of the patient in quarantine, found by the Patient ID in
// each file, including copies no held entry names: one an ingest was working on, one cut short by a
// killed ingest, one waiting in the receiver's queue. Another patient's copies stay.
import { randomUUID } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeCtFile } from '../batch/test-files.ts';
import { ingestPath } from '../ingest/index.ts';
import { currentOwner } from '../ingest/index.ts';
import { filesContaining } from '../ingest/test-ingest-support.ts';
import { CLOCK, newSite, writeExport } from './consent-test-support.ts';
import { findIdentifiedCopies } from './identified-copies.ts';
import { SiteConsent } from './site-consent.ts';

describe('withdrawal finds identified copies by content', () => {
  it('removes copies no record names, and reports them, leaving other patients alone', async () => {
    const site = newSite('opt-out');
    // One stored image of each patient (HOLLOWAY is writeCtFile's patient, MRN8812345).
    const otherExport = writeExport([{ id: 'OTHER42', name: 'Keeper^Kim', source: 'CT_small.dcm' }]);
    await ingestPath(site, otherExport);
    const work = join(site.directory, '..', 'in');
    mkdirSync(work);
    const whole = writeCtFile(join(work, 'slice.dcm'), 1, 200_000);
    await ingestPath(site, work);

    // Copies the index knows nothing of: as in-flight (a live owner: not cleaned at start), cut short,
    // and queued by the receiver; plus one of the other patient.
    const q = site.paths.quarantine;
    writeFileSync(join(q, `${randomUUID()}.${currentOwner()}.ingesting`), whole);
    writeFileSync(join(q, `${randomUUID()}.${currentOwner()}.ingesting`), whole.subarray(0, 50_000));
    mkdirSync(join(q, 'incoming'), { recursive: true });
    writeFileSync(join(q, 'incoming', `${randomUUID()}.dcm`), whole);
    const other = readdirSync(otherExport, { recursive: true })
      .map(String)
      .find((name) => name.endsWith('.dcm'));
    writeFileSync(join(q, 'incoming', 'other.dcm'), readFileSync(join(otherExport, other as string)));
    expect(filesContaining(q, 'HOLLOWAY')).toHaveLength(3);

    const consent = new SiteConsent(site, { clock: CLOCK });
    const report = await consent.withdraw({ patientId: 'MRN8812345' });
    expect(report.purged).toMatchObject({ instances: 1, heldFiles: 3, unrecordedCopies: 3 });
    expect(filesContaining(q, 'HOLLOWAY')).toEqual([]);
    expect(filesContaining(site.directory, 'MRN8812345')).toEqual([]);
    expect(readdirSync(join(q, 'incoming'))).toEqual(['other.dcm']);
    site.database.close();
  });

  it('purges a copy of a patient the index has never stored', async () => {
    const site = newSite('opt-out');
    const source = join(site.directory, '..', 'slice.dcm');
    writeFileSync(
      join(site.paths.quarantine, `${randomUUID()}.${currentOwner()}.ingesting`),
      writeCtFile(source, 2, 1_000),
    );
    const report = await new SiteConsent(site, { clock: CLOCK }).withdraw({ patientId: 'MRN8812345' });
    expect(report.purged).toMatchObject({ instances: 0, unrecordedCopies: 1 });
    expect(readdirSync(site.paths.quarantine)).toEqual([]);
    site.database.close();
  });
});

describe('the quarantine search when a folder in it cannot be read', () => {
  it('still finds the copies in the other folders, and counts the folder it could not list', async () => {
    const quarantine = mkdtempSync(join(tmpdir(), 'radfed-quarantine-'));
    writeCtFile(join(quarantine, 'copy.dcm'), 1, 20_000); // HOLLOWAY, MRN8812345
    const locked = join(quarantine, 'incoming');
    mkdirSync(locked);
    chmodSync(quarantine, 0o755);
    chmodSync(join(quarantine, 'copy.dcm'), 0o644);
    chmodSync(locked, 0o000);
    const secret = new Uint8Array(32).fill(7);
    // Root reads any folder: as root the search runs with the effective uid of `nobody` (the test
    // pool runs each spec file in a process of its own, where seteuid is allowed).
    const asRoot = process.geteuid?.() === 0;
    if (asRoot) process.seteuid!(65534);
    let copies;
    try {
      copies = await findIdentifiedCopies(quarantine, secret);
    } finally {
      if (asRoot) process.seteuid!(0);
    }
    // Before, one unreadable sub-folder made the search find nothing at all.
    expect([...copies.byPseudonym.values()]).toEqual([['copy.dcm']]);
    expect(copies.unreadableFolders).toBe(1);
  });
});
