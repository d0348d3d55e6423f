// The held-file review against a real site: real files held by the real engine, released through the
// real ingest path, with the quarantine folder and the audit log checked on disk.
import { existsSync, readdirSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuditLog } from '../audit/index.ts';
import { ingestPath, IngestRun } from '../ingest/index.ts';
import { ResearchIndex } from '../store/index.ts';
import { deleteHeld, heldPreview, listHeldFiles, releaseAsIs } from './index.ts';
import {
  identifiedCopy,
  openHeldTestSite,
  PATIENT_ID,
  PATIENT_NAME,
  type HeldTestSite,
} from './held-test-support.ts';

let t: HeldTestSite;
beforeEach(async () => {
  t = await openHeldTestSite();
});
afterEach(() => t.close());

const quarantineFiles = () =>
  readdirSync(t.site.paths.quarantine, { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
const auditOf = (type: string) => new AuditLog(t.site.database).list({ type });
const heldByKind = () => {
  const files = listHeldFiles(t.site);
  const ct = files.find((f) => f.technicalReason.includes('is YES'));
  const capture = files.find((f) => f !== ct);
  if (!ct || !capture) throw new Error('expected the CT and the capture to be held');
  return { files, ct, capture };
};

describe('the held-file queue', () => {
  it('lists each held file with its reason in plain words and what may be done with it', () => {
    const { files, ct, capture } = heldByKind();
    expect(files).toHaveLength(2);
    expect(ct).toMatchObject({ kind: 'burned-in-text', source: 'import', copyPresent: true });
    expect(ct.actions).toEqual(['clean', 'release-as-is', 'delete']);
    expect(ct.plainReason).toMatch(/text written into the picture/);
    expect(capture.plainReason).toMatch(/^This is a screenshot or other capture: images like this often/);
    for (const file of files) expect(file.plainReason).not.toMatch(/\(\d{4},\d{4}\)/);
  });

  it('never carries the patient name or ID', () => {
    const text = JSON.stringify(listHeldFiles(t.site));
    expect(text).not.toContain('MORIARTY');
    expect(text).not.toContain(PATIENT_ID);
  });
});

describe('the preview', () => {
  it('is the picture alone, rendered in the agent as a small PNG with no header value in it', async () => {
    const { ct } = heldByKind();
    const preview = await heldPreview(t.site, ct.id);
    expect(Buffer.from(preview.png).subarray(1, 4).toString('latin1')).toBe('PNG');
    expect([preview.width, preview.height]).toEqual([128, 128]);
    const bytes = Buffer.from(preview.png).toString('latin1');
    expect(bytes).not.toContain('MORIARTY');
    expect(bytes).not.toContain(PATIENT_ID);
  });

  it('says the picture is gone when the identified copy was removed by hand', async () => {
    const { ct } = heldByKind();
    const { unlinkSync } = await import('node:fs');
    for (const e of quarantineFiles()) unlinkSync(join(e.parentPath, e.name));
    await expect(heldPreview(t.site, ct.id)).rejects.toMatchObject({ code: 'held-copy-missing' });
    expect(listHeldFiles(t.site).every((f) => !f.copyPresent && f.actions.join() === 'delete')).toBe(true);
  });
});

describe('a held copy over 1 GiB', () => {
  it('is refused with what to do instead of being read whole', async () => {
    const { ct } = heldByKind();
    const { truncateSync } = await import('node:fs');
    const name = t.site.database
      .prepare<[number], string>('SELECT quarantine_name FROM held WHERE id = ?')
      .pluck()
      .get(ct.id);
    truncateSync(join(t.site.paths.quarantine, name ?? ''), 1024 * 1024 * 1024 + 1); // sparse: no disk used
    await expect(heldPreview(t.site, ct.id)).rejects.toMatchObject({ code: 'held-too-large' });
    await expect(releaseAsIs(t.site, ct.id, 'Ann', { actor: 'ann' })).rejects.toThrow(
      /Delete it, and export/,
    );
  });
});

describe('release as is', () => {
  it('de-identifies and stores the file, removes the identified copy, closes the entry and records the name', async () => {
    const { ct } = heldByKind();
    const result = await releaseAsIs(t.site, ct.id, 'Ann Radiographer', { actor: 'ann' });
    expect(result).toEqual({ outcome: 'released', id: ct.id, how: 'as-is' });
    expect(listHeldFiles(t.site).map((f) => f.id)).not.toContain(ct.id);
    expect(quarantineFiles()).toHaveLength(1);
    expect(new ResearchIndex(t.site.database).counts()).toMatchObject({ instances: 1, held: 1 });
    const [entry] = auditOf('held.released');
    expect(entry).toMatchObject({
      actor: 'ann',
      detail: { heldId: ct.id, how: 'as-is', confirmedBy: 'Ann Radiographer' },
    });
    expect(JSON.stringify(entry)).not.toContain('MORIARTY');
    // Released through ingest: the stored file is de-identified, and the original is known as ingested.
    const research = readdirSync(t.site.paths.research, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => join(e.parentPath, e.name));
    expect(research).toHaveLength(1);
    const { readFileSync } = await import('node:fs');
    const stored = readFileSync(research[0] as string, 'latin1');
    expect(stored).not.toContain(PATIENT_NAME);
    expect(stored).not.toContain(PATIENT_ID);
    const again = await ingestPath(t.site, t.inbox, { actor: 'test' });
    expect(again).toMatchObject({ alreadyIngested: 2, held: 0, deidentified: 0 });
  });

  it('lifts only the burned-in hold: a kind of file held for anything else is refused', async () => {
    const { capture } = heldByKind();
    await t.site.database
      .prepare(
        "UPDATE held SET reason = 'not released: an encapsulated document (PDF, CDA or 3D model) whose content cannot be checked for identifiers' WHERE id = ?",
      )
      .run(capture.id);
    await expect(releaseAsIs(t.site, capture.id, 'Ann', { actor: 'ann' })).rejects.toMatchObject({
      code: 'held-action-not-allowed',
    });
    expect(
      existsSync(
        join(
          t.site.paths.quarantine,
          t.site.database
            .prepare<[number], string>('SELECT quarantine_name FROM held WHERE id = ?')
            .pluck()
            .get(capture.id) ?? '',
        ),
      ),
    ).toBe(true);
  });

  it('requires the name of the person who checked the picture', async () => {
    const { ct } = heldByKind();
    await expect(releaseAsIs(t.site, ct.id, '  ', { actor: 'ann' })).rejects.toMatchObject({
      code: 'held-name-required',
    });
    expect(listHeldFiles(t.site)).toHaveLength(2);
  });

  it('says a file number that is not held any more is not found', async () => {
    await expect(releaseAsIs(t.site, 9999, 'Ann', { actor: 'ann' })).rejects.toMatchObject({
      code: 'held-not-found',
    });
  });
});

describe('delete', () => {
  it('removes the identified copy and the entry, and audits it with the person', async () => {
    const { capture } = heldByKind();
    expect(await deleteHeld(t.site, capture.id, { actor: 'bob' })).toEqual({
      outcome: 'deleted',
      id: capture.id,
    });
    expect(listHeldFiles(t.site)).toHaveLength(1);
    expect(quarantineFiles()).toHaveLength(1);
    expect(auditOf('held.deleted')[0]).toMatchObject({ actor: 'bob', detail: { heldId: capture.id } });
  });
});

describe('held files from the DICOM receiver', () => {
  it('are listed as received and released from the receiver queue', async () => {
    const incoming = join(t.site.paths.quarantine, 'incoming');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(incoming, { recursive: true });
    await writeFile(
      join(incoming, '0b0c9a7e-1111-4222-8333-944455556666.dcm'),
      identifiedCopy('MR_small.dcm', 'YES'),
    );
    const run = IngestRun.start(t.site, { source: 'dicom-receiver', actor: 'receiver' });
    const outcome = await run.ingestQuarantined('incoming/0b0c9a7e-1111-4222-8333-944455556666.dcm');
    await run.finish();
    expect(outcome.status).toBe('held');
    const received = listHeldFiles(t.site).find((f) => f.source === 'receiver');
    expect(received).toMatchObject({ kind: 'burned-in-text', copyPresent: true });
    const result = await releaseAsIs(t.site, received?.id ?? 0, 'Ann', { actor: 'ann' });
    expect(result.outcome).toBe('released');
    expect(readdirSync(incoming)).toEqual([]);
  });
});

describe('held files from the watched folder', () => {
  it('are listed as from the watched folder', async () => {
    const dropped = join(t.root, 'watched', 'dropped.dcm');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(join(t.root, 'watched'));
    await writeFile(dropped, identifiedCopy('MR_small.dcm', 'YES'));
    const run = IngestRun.start(t.site, { source: 'watched-folder', actor: 'watcher' });
    expect((await run.ingestFile(dropped)).status).toBe('held');
    await run.finish();
    const sources = listHeldFiles(t.site).map((f) => f.source);
    expect(sources.sort()).toEqual(['import', 'import', 'watched-folder']);
  });
});
