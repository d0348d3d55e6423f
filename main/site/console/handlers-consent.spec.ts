import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IpcChannel } from '../../../shared/ipc/index.ts';
import { getString, parseDicom, Tags } from '../dicom/index.ts';
import {
  CT_SMALL,
  finishedImport,
  MR_SMALL,
  openHandlersTestSite,
  type HandlersTestSite,
} from './handlers-test-site.ts';

let site: HandlersTestSite;
beforeEach(() => {
  site = openHandlersTestSite({ consentPolicy: 'opt-out' });
});
afterEach(() => site.close());

const patientIdOf = (path: string) =>
  (getString(parseDicom(readFileSync(path)).dataset, Tags.PatientID) ?? '').trim();
const base64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

async function ingest(files: string[]) {
  const { importId } = await site.call(IpcChannel.studiesImportStart, { folder: site.inbox(files) });
  await finishedImport(site, importId);
}

describe('consent:import', () => {
  it('imports a consent export and lists the patients by pseudonym only', async () => {
    const ct = patientIdOf(CT_SMALL);
    const csv = `patient_id,status,date\n${ct},granted,2024-01-10\nZX-998877,refused,2024-02-01\n`;
    const result = await site.call(IpcChannel.consentImport, { csvBase64: base64(csv) });
    expect(result).toEqual({
      imported: true,
      rows: 2,
      added: 2,
      alreadyRecorded: 0,
      byStatus: { granted: 1, refused: 1, withdrawn: 0 },
      purgedPatients: 0,
    });
    const register = await site.call(IpcChannel.consentList, undefined);
    expect(register.policy).toBe('opt-out');
    expect(register.patients).toHaveLength(2);
    for (const patient of register.patients) expect(patient.pseudonym).toMatch(/^RF[0-9A-F]{16}$/);
    const text = JSON.stringify(register);
    expect(text).not.toContain(ct);
    expect(text).not.toContain('ZX-998877');
  });

  it('imports nothing from a file with problems and reports each by line, quoting no value', async () => {
    const csv =
      'patient_id,status,date\nAB-111111,granted,2024-01-10\nAB-222222,maybe,2024-01-11\nAB-333333,granted,not-a-date\n';
    const result = await site.call(IpcChannel.consentImport, { csvBase64: base64(csv) });
    expect(result.imported).toBe(false);
    if (result.imported) return;
    expect(result.message).toMatch(/nothing was imported/);
    expect(result.problems.map((p) => p.line)).toEqual([3, 4]);
    const text = JSON.stringify(result);
    for (const id of ['AB-111111', 'AB-222222', 'AB-333333', 'maybe', 'not-a-date'])
      expect(text).not.toContain(id);
    expect((await site.call(IpcChannel.consentList, undefined)).patients).toEqual([]);
  });
});

describe('consent:withdraw-preview and consent:withdraw', () => {
  it('previews what a withdrawal purges, then withdraws and purges it', async () => {
    await ingest([CT_SMALL, MR_SMALL]);
    const ct = patientIdOf(CT_SMALL);

    const preview = await site.call(IpcChannel.consentWithdrawPreview, { patientId: ct });
    expect(preview).toMatchObject({
      known: true,
      studies: 1,
      instances: 1,
      heldFiles: 0,
      tensorCache: false,
      rounds: [],
    });
    // A preview changes nothing.
    expect((await site.call(IpcChannel.siteStatus, undefined)).counts.instances).toBe(2);

    const result = await site.call(IpcChannel.consentWithdraw, { patientId: ct });
    expect(result).toMatchObject({
      pseudonym: preview.pseudonym,
      inForce: true,
      purged: { studies: 1, instances: 1 },
    });
    expect(result.message).toMatch(/purged 1 study/);
    expect((await site.call(IpcChannel.siteStatus, undefined)).counts.instances).toBe(1);
    expect(JSON.stringify([preview, result])).not.toContain(ct);

    const history = await site.call(IpcChannel.consentHistory, { pseudonym: preview.pseudonym });
    expect(history.decision).toMatchObject({ in: false, status: 'withdrawn' });
    expect(history.history).toEqual([expect.objectContaining({ status: 'withdrawn', source: 'withdraw' })]);
    expect(history.held).toEqual({ studies: 0, instances: 0 });
  });

  it('says a patient is unknown when the site has nothing of them', async () => {
    const preview = await site.call(IpcChannel.consentWithdrawPreview, { patientId: 'NOBODY-42' });
    expect(preview).toMatchObject({ known: false, studies: 0, instances: 0 });
  });

  it('refuses a history request that is not a pseudonym', async () => {
    const answer = await site.raw('consent:history', { pseudonym: 'DOE^JANE' });
    expect(answer).toMatchObject({ ok: false, error: { code: 'invalid-payload' } });
  });
});
