import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IpcChannel } from '../../../shared/ipc/index.ts';
import { renderForDisplay } from '../burned-in/index.ts';
import { getString, parseDicom, Tags } from '../dicom/index.ts';
import {
  CT_SMALL,
  finishedImport,
  MR_SMALL,
  openHandlersTestSite,
  SC_SMALL,
  type HandlersTestSite,
} from './handlers-test-site.ts';
import { THUMBNAIL_SIZE } from './stored-studies.ts';

let site: HandlersTestSite;
beforeEach(() => {
  site = openHandlersTestSite();
});
afterEach(() => site.close());

async function importFolder(files: string[]): Promise<void> {
  const { importId } = await site.call(IpcChannel.studiesImportStart, { folder: site.inbox(files) });
  await finishedImport(site, importId);
}

function identifiersOf(path: string): string[] {
  const { dataset } = parseDicom(readFileSync(path));
  return [Tags.PatientName, Tags.PatientID, Tags.StudyInstanceUID, Tags.SOPInstanceUID]
    .map((tag) => (getString(dataset, tag) ?? '').trim())
    .filter((v) => v.length >= 4);
}

/** The research store file of a stored study's one image. */
function researchFileOf(key: string): string {
  const row = site.agent.site.database
    .prepare<[string], { path: string }>(
      `SELECT i.path FROM instances i JOIN series s ON s.series_uid = i.series_uid WHERE s.study_uid = ?`,
    )
    .get(key);
  return join(site.agent.site.paths.research, ...row!.path.split('/'));
}

describe('studies:list', () => {
  it('lists each stored study by pseudonym, modality and counts; held files and identifiers stay out', async () => {
    await importFolder([CT_SMALL, MR_SMALL, SC_SMALL]);
    const list = await site.call(IpcChannel.studiesList, undefined);
    expect(list.total).toBe(2);
    expect(list.studies.map((s) => s.modalities).sort()).toEqual([['CT'], ['MR']]);
    for (const study of list.studies) {
      expect(study).toMatchObject({ series: 1, images: 1 });
      expect(study.patient).toMatch(/^RF[0-9A-F]{16}$/);
    }
    const text = JSON.stringify(list);
    for (const value of [...identifiersOf(CT_SMALL), ...identifiersOf(MR_SMALL), 'DOE^JANE', '1234567'])
      expect(text).not.toContain(value);
  });
});

describe('studies:thumbnail', () => {
  it('is a small PNG drawn from the de-identified research copy', async () => {
    await importFolder([CT_SMALL]);
    const [study] = (await site.call(IpcChannel.studiesList, undefined)).studies;
    const thumbnail = await site.call(IpcChannel.studiesThumbnail, { key: study!.key });
    const png = Buffer.from(thumbnail.pngBase64, 'base64');
    expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
    expect(Math.max(thumbnail.width, thumbnail.height)).toBeLessThanOrEqual(THUMBNAIL_SIZE);
    // The same picture as the stored research file gives: that file, not the identified source.
    const fromResearch = await renderForDisplay(readFileSync(researchFileOf(study!.key)), {
      maxSize: THUMBNAIL_SIZE,
    });
    expect(Buffer.from(fromResearch.png).equals(png)).toBe(true);
  });

  it('says in words, without a path, when the study is gone or its file cannot be read', async () => {
    await importFolder([CT_SMALL]);
    const [study] = (await site.call(IpcChannel.studiesList, undefined)).studies;
    rmSync(researchFileOf(study!.key));
    const unreadable = await site.raw('studies:thumbnail', { key: study!.key });
    expect(unreadable).toMatchObject({ ok: false, error: { code: 'study-picture-unreadable' } });
    expect(JSON.stringify(unreadable)).not.toMatch(/\/tmp\/|ENOENT|research\//);

    const unknown = await site.raw('studies:thumbnail', { key: '2.25.1234' });
    expect(unknown).toMatchObject({ ok: false, error: { code: 'study-not-found' } });
    const invalid = await site.raw('studies:thumbnail', { key: '../../etc/passwd' });
    expect(invalid).toMatchObject({ ok: false, error: { code: 'invalid-payload' } });
  });
});
