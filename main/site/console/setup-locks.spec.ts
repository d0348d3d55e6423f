// IT's locks hold for the site's own settings: Settings saves through setup:finish, and the agent
// refuses a change to a locked key there (with the setting-locked code), while unlocked changes go through.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SetupRequest } from '../../../shared/ipc/index.ts';
import { SettingsStore, settingsFilePaths } from '../../app/settings/index.ts';
import { createSetupHandlers, type SetupPort } from './handlers-setup.ts';
import { createIpcDispatcher, type IpcHandlers } from './ipc-handlers.ts';
import { applySetup, readSetupState } from './site-setup.ts';

let root: string;
let siteDir: string;
let store: SettingsStore;

const request = (overrides: Partial<SetupRequest> = {}): SetupRequest => ({
  siteName: 'North',
  hub: null,
  studies: { kind: 'folder' },
  consentPolicy: 'opt-out',
  deidOptions: [],
  ...overrides,
});

beforeEach(async () => {
  root = mkdtempSync(join(tmpdir(), 'radfed-setup-locks-'));
  siteDir = join(root, 'site');
  await applySetup(siteDir, request());
  store = new SettingsStore(
    settingsFilePaths(join(root, 'ui-settings.json'), 'linux', { RADFED_SETTINGS_DIR: root }),
  );
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

function dispatch() {
  const port: SetupPort = {
    state: () => readSetupState(siteDir),
    checkHub: () => Promise.reject(new Error('not used')),
    device: () => Promise.reject(new Error('not used')),
    finish: (r) => applySetup(siteDir, r),
  };
  return createIpcDispatcher(createSetupHandlers(port, undefined, store) as unknown as IpcHandlers);
}

describe('setup:finish and the locked settings', () => {
  it('refuses a new name when IT locked the site name, and keeps the old one', async () => {
    writeFileSync(join(root, 'locked.json'), JSON.stringify({ 'site.name': 'North' }));
    const answer = await dispatch()('setup:finish', request({ siteName: 'South' }));
    expect(answer).toEqual({
      ok: false,
      error: {
        code: 'setting-locked',
        message: expect.stringMatching(/^The site name is locked by your IT/),
      },
    });
    expect(readSetupState(siteDir).site?.name).toBe('North');
  });

  it('lets other fields change while one is locked', async () => {
    writeFileSync(join(root, 'locked.json'), JSON.stringify({ 'site.name': 'North' }));
    const answer = await dispatch()('setup:finish', request({ consentScope: 'chest imaging research' }));
    expect(answer).toMatchObject({ ok: true });
    expect(readSetupState(siteDir).site?.consentScope).toBe('chest imaging research');
  });

  it('refuses a new source of studies when IT locked the receiver', async () => {
    writeFileSync(join(root, 'locked.json'), JSON.stringify({ 'receiver.port': 104 }));
    const answer = await dispatch()(
      'setup:finish',
      request({ studies: { kind: 'watch', folder: join(root, 'drop') } }),
    );
    expect(answer).toMatchObject({ ok: false, error: { code: 'setting-locked' } });
  });

  it('saves a new name, and a bad one is refused with invalid-site-name', async () => {
    expect(await dispatch()('setup:finish', request({ siteName: "St Mary's" }))).toMatchObject({ ok: true });
    expect(readSetupState(siteDir).site?.name).toBe("St Mary's");
    expect(await dispatch()('setup:finish', request({ siteName: 'a/b' }))).toMatchObject({
      ok: false,
      error: { code: 'invalid-site-name', message: expect.stringMatching(/cannot contain \//) },
    });
  });

  it('removes the consent scope when it is emptied', async () => {
    await dispatch()('setup:finish', request({ consentScope: 'chest' }));
    await dispatch()('setup:finish', request());
    expect(readSetupState(siteDir).site?.consentScope).toBeNull();
  });

  it('holds a new site to the name IT locked, and says which', async () => {
    const fresh = join(root, 'fresh');
    writeFileSync(join(root, 'locked.json'), JSON.stringify({ 'site.name': "St Mary's Radiology" }));
    const port: SetupPort = {
      state: () => readSetupState(fresh),
      checkHub: () => Promise.reject(new Error('not used')),
      device: () => Promise.reject(new Error('not used')),
      finish: (r) => applySetup(fresh, r),
    };
    const dispatchFresh = createIpcDispatcher(
      createSetupHandlers(port, undefined, store) as unknown as IpcHandlers,
    );
    expect(await dispatchFresh('setup:finish', request({ siteName: 'Other' }))).toMatchObject({
      ok: false,
      error: { code: 'setting-locked', message: expect.stringContaining(`(to "St Mary's Radiology")`) },
    });
    expect(readSetupState(fresh).site).toBeNull();
    expect(await dispatchFresh('setup:finish', request({ siteName: "St Mary's Radiology" }))).toMatchObject({
      ok: true,
    });
  });
});
