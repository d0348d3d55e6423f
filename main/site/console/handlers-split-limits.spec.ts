// Split learning's leakage limits on the Settings page, through the real dispatcher on a real site in
// a temp folder: saved into site.json (which the approval of a split-learning task reads when it opens
// the site), audited, refused in words when out of range, and locked by IT's locked settings file
// (the real SettingsStore), whose value the site then follows.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IpcChannel, type IpcResult } from '../../../shared/ipc/index.ts';
import { SettingsStore, settingsFilePaths } from '../../app/settings/index.ts';
import { openSite, readSiteConfig } from '../store/index.ts';
import { openHandlersTestSite, type HandlersTestSite } from './handlers-test-site.ts';
import { createIpcDispatcher, createIpcHandlers, type IpcDispatch } from './ipc-handlers.ts';

let site: HandlersTestSite;
beforeEach(() => {
  site = openHandlersTestSite();
});
afterEach(() => site.close());

const limitsInSiteJson = () => readSiteConfig(site.agent.site.paths).splitLeakageLimits;
const changes = () => site.agent.audit.list({ type: 'site.settings-changed' });

/** A dispatcher whose settings carry IT's locked file with `locked`. */
function withLocks(locked: Record<string, unknown>): IpcDispatch {
  const machine = join(site.root, 'machine');
  mkdirSync(machine, { recursive: true });
  writeFileSync(join(machine, 'locked.json'), JSON.stringify(locked));
  const settings = new SettingsStore(
    settingsFilePaths(join(site.root, 'user.json'), 'linux', { RADFED_SETTINGS_DIR: machine }),
  );
  return createIpcDispatcher(createIpcHandlers(site.agent, { settings }));
}

describe('settings:split-limits and settings:set-split-limits', () => {
  it('a new site has no limits, neither locked', async () => {
    expect(await site.call(IpcChannel.settingsSplitLimits, undefined)).toEqual({
      maxImageSsim: { value: null, locked: false },
      maxLabelAuc: { value: null, locked: false },
    });
    expect(limitsInSiteJson()).toBeUndefined();
  });

  it('saves both limits into site.json, where the approval reads them, and audits the change', async () => {
    const view = await site.call(IpcChannel.settingsSetSplitLimits, { maxImageSsim: 0.4, maxLabelAuc: 0.8 });
    expect(view.maxImageSsim).toEqual({ value: 0.4, locked: false });
    expect(view.maxLabelAuc).toEqual({ value: 0.8, locked: false });
    // The approval of a split-learning task opens the site afresh and reads site.config.
    const opened = openSite(site.agent.site.directory);
    expect(opened.config.splitLeakageLimits).toEqual({ maxImageSsim: 0.4, maxLabelAuc: 0.8 });
    opened.database.close();
    expect(changes()[0]?.detail).toEqual({
      setting: 'splitLeakageLimits',
      from: { maxImageSsim: null, maxLabelAuc: null },
      to: { maxImageSsim: 0.4, maxLabelAuc: 0.8 },
    });
  });

  it('keeps one limit without the other (1 refuses nothing) and clears both back to no limit', async () => {
    await site.call(IpcChannel.settingsSetSplitLimits, { maxImageSsim: 0.35, maxLabelAuc: null });
    expect(limitsInSiteJson()).toEqual({ maxImageSsim: 0.35, maxLabelAuc: 1 });
    expect((await site.call(IpcChannel.settingsSplitLimits, undefined)).maxLabelAuc.value).toBeNull();
    await site.call(IpcChannel.settingsSetSplitLimits, { maxImageSsim: null, maxLabelAuc: null });
    expect(limitsInSiteJson()).toBeUndefined();
    expect(changes()).toHaveLength(2);
  });

  it('refuses an out-of-range limit with a sentence that says the range, and changes nothing', async () => {
    await site.call(IpcChannel.settingsSetSplitLimits, { maxImageSsim: 0.5, maxLabelAuc: 0.75 });
    for (const [change, words] of [
      [{ maxImageSsim: 1.5, maxLabelAuc: 0.75 }, 'must be a number from 0 to 1 (for example 0.5)'],
      [{ maxImageSsim: 0.5, maxLabelAuc: 0.3 }, 'must be a number from 0.5 to 1 (for example 0.75)'],
      [{ maxImageSsim: -0.1, maxLabelAuc: 0.75 }, 'or left empty for no limit'],
    ] as const) {
      const answer = (await site.raw(IpcChannel.settingsSetSplitLimits, change)) as IpcResult<unknown>;
      expect(answer).toMatchObject({ ok: false, error: { code: 'invalid-setting' } });
      if (!answer.ok) expect(answer.error.message).toContain(words);
    }
    expect(limitsInSiteJson()).toEqual({ maxImageSsim: 0.5, maxLabelAuc: 0.75 });
    expect(changes()).toHaveLength(1);
  });

  it('refuses a value that is not a finite number at the door', async () => {
    const answer = await site.raw(IpcChannel.settingsSetSplitLimits, {
      maxImageSsim: '0.5',
      maxLabelAuc: null,
    });
    expect(answer).toMatchObject({ ok: false, error: { code: 'invalid-payload' } });
  });
});

describe('limits locked by IT (split.maxImageSsim, split.maxLabelAuc)', () => {
  it('are shown locked, followed in site.json (audited as IT) and refused when changed from the page', async () => {
    const dispatch = withLocks({ 'split.maxImageSsim': 0.3 });
    const shown = await dispatch(IpcChannel.settingsSplitLimits, undefined);
    expect(shown).toEqual({
      ok: true,
      value: { maxImageSsim: { value: 0.3, locked: true }, maxLabelAuc: { value: null, locked: false } },
    });
    expect(limitsInSiteJson()).toEqual({ maxImageSsim: 0.3, maxLabelAuc: 1 });
    expect(changes()[0]?.actor).toBe('IT department (locked setting)');

    const refused = await dispatch(IpcChannel.settingsSetSplitLimits, {
      maxImageSsim: 0.6,
      maxLabelAuc: null,
    });
    expect(refused).toMatchObject({ ok: false, error: { code: 'setting-locked' } });
    if (!refused.ok) expect(refused.error.message).toMatch(/locked by your IT department.*ask IT/);
    expect(limitsInSiteJson()).toEqual({ maxImageSsim: 0.3, maxLabelAuc: 1 });

    // The limit IT left open still changes, beside the locked one.
    const saved = await dispatch(IpcChannel.settingsSetSplitLimits, { maxImageSsim: 0.3, maxLabelAuc: 0.7 });
    expect(saved).toMatchObject({ ok: true, value: { maxLabelAuc: { value: 0.7, locked: false } } });
    expect(limitsInSiteJson()).toEqual({ maxImageSsim: 0.3, maxLabelAuc: 0.7 });
  });

  it('IT may lock "no limit" (null): a limit set before is removed and cannot be set again', async () => {
    await site.call(IpcChannel.settingsSetSplitLimits, { maxImageSsim: 0.4, maxLabelAuc: 0.8 });
    const dispatch = withLocks({ 'split.maxImageSsim': null, 'split.maxLabelAuc': null });
    expect(await dispatch(IpcChannel.settingsSplitLimits, undefined)).toMatchObject({
      ok: true,
      value: { maxImageSsim: { value: null, locked: true }, maxLabelAuc: { value: null, locked: true } },
    });
    expect(limitsInSiteJson()).toBeUndefined();
    const refused = await dispatch(IpcChannel.settingsSetSplitLimits, {
      maxImageSsim: 0.4,
      maxLabelAuc: null,
    });
    expect(refused).toMatchObject({ ok: false, error: { code: 'setting-locked' } });
  });

  it('the settings store checks IT\u2019s value by the same range (an out-of-range lock is reported)', () => {
    const machine = join(site.root, 'machine');
    mkdirSync(machine, { recursive: true });
    writeFileSync(join(machine, 'locked.json'), JSON.stringify({ 'split.maxLabelAuc': 0.2 }));
    const settings = new SettingsStore(
      settingsFilePaths(join(site.root, 'user.json'), 'linux', { RADFED_SETTINGS_DIR: machine }),
    );
    const view = settings.view();
    expect(view.settings['split.maxLabelAuc']).toMatchObject({ locked: true, value: null });
    expect(view.problems.join(' ')).toContain('split.maxLabelAuc');
  });
});
