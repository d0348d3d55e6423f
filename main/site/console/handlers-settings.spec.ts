import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SettingsStore, settingsFilePaths } from '../../app/settings/index.ts';
import { createIpcDispatcher, type IpcDispatch, type IpcHandlers } from './ipc-handlers.ts';
import { createSettingsHandlers } from './handlers-settings.ts';

// Only the settings channels are under test; the others are other rooms' handlers.
const dispatcherFor = (store: SettingsStore | undefined): IpcDispatch =>
  createIpcDispatcher(createSettingsHandlers(store) as unknown as IpcHandlers);

describe('settings:get and settings:set through the IPC dispatcher', () => {
  let dir: string;
  let store: SettingsStore;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'radfed-settings-ipc-'));
    store = new SettingsStore(
      settingsFilePaths(join(dir, 'ui-settings.json'), 'linux', { RADFED_SETTINGS_DIR: dir }),
    );
    writeFileSync(join(dir, 'locked.json'), JSON.stringify({ 'hub.url': 'https://hub.test' }));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reports a locked key as locked', async () => {
    const answer = await dispatcherFor(store)('settings:get', undefined);
    expect(answer).toMatchObject({
      ok: true,
      value: { settings: { 'hub.url': { locked: true, value: 'https://hub.test' } } },
    });
  });

  it('refuses to change a locked key with the setting-locked code and a plain sentence', async () => {
    const answer = await dispatcherFor(store)('settings:set', {
      changes: { 'hub.url': 'https://other.test' },
    });
    expect(answer).toEqual({
      ok: false,
      error: { code: 'setting-locked', message: expect.stringMatching(/locked by your IT department/) },
    });
  });

  it('changes an unlocked key and answers the new view', async () => {
    const answer = await dispatcherFor(store)('settings:set', { changes: { 'app.startAtLogin': true } });
    expect(answer).toMatchObject({
      ok: true,
      value: { settings: { 'app.startAtLogin': { value: true, source: 'user' } } },
    });
  });

  it('rejects a payload of the wrong shape before the store sees it', async () => {
    const answer = await dispatcherFor(store)('settings:set', { 'app.startAtLogin': true });
    expect(answer).toMatchObject({ ok: false, error: { code: 'invalid-payload' } });
  });

  it('answers settings-unavailable when the agent was started without settings', async () => {
    const answer = await dispatcherFor(undefined)('settings:get', undefined);
    expect(answer).toMatchObject({ ok: false, error: { code: 'settings-unavailable' } });
  });
});
