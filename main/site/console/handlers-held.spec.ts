// The Review page's channels through the real dispatcher (schemas included) on a real site whose
// import held real files: the queue, the preview, release as is with a name, delete, and that no
// response carries the patient's name or ID.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IpcChannel, type HeldQueueFile } from '../../../shared/ipc/index.ts';
import { SettingsStore, settingsFilePaths } from '../../app/settings/index.ts';
import { readSiteConfig } from '../store/index.ts';
import { PATIENT_ID, writeHeldInputs } from '../held/held-test-support.ts';
import { createHeldHandlers } from './handlers-held.ts';
import { finishedImport, openHandlersTestSite, type HandlersTestSite } from './handlers-test-site.ts';

let site: HandlersTestSite;
const responses: unknown[] = [];
beforeEach(async () => {
  site = openHandlersTestSite({ consentPolicy: 'opt-out' });
  const folder = join(site.root, 'MORIARTY inbox');
  writeHeldInputs(folder);
  const { importId } = await site.call(IpcChannel.studiesImportStart, { folder });
  expect((await finishedImport(site, importId)).counts.held).toBe(2);
});
afterEach(() => {
  // Every answer of every test: none may carry the patient's name or ID.
  const text = JSON.stringify(responses.splice(0));
  expect(text).not.toContain('MORIARTY');
  expect(text).not.toContain(PATIENT_ID);
  site.close();
});

async function held(): Promise<{ ct: HeldQueueFile; capture: HeldQueueFile }> {
  const queue = await site.call(IpcChannel.heldList, undefined);
  responses.push(queue);
  const ct = queue.files.find((f) => f.technicalReason.includes('is YES'));
  const capture = queue.files.find((f) => f !== ct);
  if (!ct || !capture) throw new Error('expected two held files');
  return { ct, capture };
}

describe('held:* channels', () => {
  it('list the held files in plain words with the site policy', async () => {
    const queue = await site.call(IpcChannel.heldList, undefined);
    responses.push(queue);
    expect(queue.policy).toBe('hold');
    expect(queue.files).toHaveLength(2);
    expect(queue.files.every((f) => f.copyPresent && f.source === 'import')).toBe(true);
  });

  it('send a preview rendered in the agent: a PNG of the picture, pixels only', async () => {
    const { ct } = await held();
    const preview = await site.call(IpcChannel.heldPreview, { id: ct.id });
    responses.push(preview);
    const png = Buffer.from(preview.pngBase64, 'base64');
    expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
    expect(png.toString('latin1')).not.toContain('MORIARTY');
    expect(preview).toMatchObject({ id: ct.id, width: 128, height: 128 });
  });

  it('release as is with the name of the person who checked, and the file leaves the queue', async () => {
    const { ct } = await held();
    const result = await site.call(IpcChannel.heldReleaseAsIs, {
      id: ct.id,
      confirmedBy: 'Ann Radiographer',
    });
    responses.push(result);
    expect(result).toEqual({ outcome: 'released', id: ct.id, how: 'as-is' });
    const queue = await site.call(IpcChannel.heldList, undefined);
    expect(queue.files.map((f) => f.id)).not.toContain(ct.id);
    const entry = site.agent.audit.list({ type: 'held.released' })[0];
    expect(entry?.detail).toMatchObject({ confirmedBy: 'Ann Radiographer', heldId: ct.id });
  });

  it('refuse release as is without a name, beside nothing else changed', async () => {
    const { ct } = await held();
    const answer = await site.raw(IpcChannel.heldReleaseAsIs, { id: ct.id, confirmedBy: '   ' });
    responses.push(answer);
    expect(answer).toMatchObject({ ok: false, error: { code: 'invalid-payload' } });
    expect(JSON.stringify(answer)).toMatch(/write the name of the person who checked the picture/);
    expect((await site.call(IpcChannel.heldList, undefined)).files).toHaveLength(2);
  });

  it('delete a held file, and say in words when a number is not held', async () => {
    const { capture } = await held();
    responses.push(await site.call(IpcChannel.heldDelete, { id: capture.id }));
    const again = await site.raw(IpcChannel.heldDelete, { id: capture.id });
    responses.push(again);
    expect(again).toMatchObject({ ok: false, error: { code: 'held-not-found' } });
    expect((await site.call(IpcChannel.heldList, undefined)).files).toHaveLength(1);
  });

  it('refuse to release as is a file held for a reason other than text in the picture', async () => {
    const { capture } = await held();
    site.agent.site.database
      .prepare(
        "UPDATE held SET reason = 'not released: a removed value found in Study Description' WHERE id = ?",
      )
      .run(capture.id);
    const answer = await site.raw(IpcChannel.heldReleaseAsIs, { id: capture.id, confirmedBy: 'Ann' });
    responses.push(answer);
    expect(answer).toMatchObject({ ok: false, error: { code: 'held-action-not-allowed' } });
  });
});

describe('the held-file policy', () => {
  it('is set from the page, written to site.json and audited', async () => {
    const queue = await site.call(IpcChannel.heldSetPolicy, { policy: 'clean-and-ask' });
    responses.push(queue);
    expect(queue).toMatchObject({ policy: 'clean-and-ask', policyLocked: false });
    expect(readSiteConfig(site.agent.site.paths).heldFilePolicy).toBe('clean-and-ask');
    expect(site.agent.audit.list({ type: 'site.settings-changed' })[0]?.detail).toMatchObject({
      setting: 'heldFilePolicy',
      from: 'hold',
      to: 'clean-and-ask',
    });
  });

  it('follows IT when locked (studies.heldFilePolicy) and refuses a change from the page', async () => {
    const machine = join(site.root, 'machine');
    mkdirSync(machine);
    writeFileSync(
      join(machine, 'locked.json'),
      JSON.stringify({ 'studies.heldFilePolicy': 'clean-automatically' }),
    );
    const settings = new SettingsStore(
      settingsFilePaths(join(site.root, 'user.json'), 'linux', { RADFED_SETTINGS_DIR: machine }),
    );
    const handlers = createHeldHandlers(site.agent, settings);
    // Followed as soon as the screens start, before the Review page is opened.
    expect(readSiteConfig(site.agent.site.paths).heldFilePolicy).toBe('clean-automatically');
    const queue = await handlers['held:list'](undefined);
    responses.push(queue);
    expect(queue).toMatchObject({ policy: 'clean-automatically', policyLocked: true });
    expect(readSiteConfig(site.agent.site.paths).heldFilePolicy).toBe('clean-automatically');
    expect(() => handlers['held:set-policy']({ policy: 'hold' })).toThrow(
      expect.objectContaining({ code: 'setting-locked' }),
    );
  });
});
