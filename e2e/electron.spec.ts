// The desktop shell, launched through Playwright's Electron support. Electron's binary cannot be
// downloaded on the build machines, so these tests run only where it exists and say so when skipped.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { _electron as electron, expect, test } from '@playwright/test';

const ELECTRON_BINARY_BY_PLATFORM: Partial<Record<NodeJS.Platform, string>> = {
  linux: 'node_modules/electron/dist/electron',
  darwin: 'node_modules/electron/dist/Electron.app/Contents/MacOS/Electron',
  win32: 'node_modules/electron/dist/electron.exe',
};

function findElectronBinary(): string | null {
  const candidates = [process.env.ELECTRON_PATH, ELECTRON_BINARY_BY_PLATFORM[process.platform]];
  return candidates.find((path): path is string => Boolean(path) && existsSync(path as string)) ?? null;
}

const electronBinary = findElectronBinary();

/** A site folder and an IT settings folder that presets the site, so the app opens on the dashboard. */
function presetWorkstation(locked: Record<string, unknown> = {}) {
  const root = mkdtempSync(join(tmpdir(), 'radfed-electron-'));
  const settingsDir = join(root, 'it');
  mkdirSync(settingsDir);
  writeFileSync(
    join(settingsDir, 'defaults.json'),
    JSON.stringify({ 'site.name': 'Electron Test Site', 'site.consentPolicy': 'opt-out' }),
  );
  writeFileSync(join(settingsDir, 'locked.json'), JSON.stringify(locked));
  const env = { ...process.env, RADFED_SITE_DIR: join(root, 'site'), RADFED_SETTINGS_DIR: settingsDir };
  return { root, env };
}

test.describe('Electron desktop shell (runs only where the Electron binary is installed)', () => {
  test.skip(electronBinary === null, 'Electron binary not available on this machine');

  test('opens one window on the dashboard with a frozen window.radfedIpc transport', async () => {
    const { root, env } = presetWorkstation();
    const app = await electron.launch({ executablePath: electronBinary ?? undefined, args: ['.'], env });
    try {
      const appWindow = await app.firstWindow();
      await expect(appWindow.getByRole('heading', { level: 1, name: 'Dashboard' })).toBeVisible();
      // A string expression: the e2e files are type-checked for Node, without the DOM library.
      const shape = await appWindow.evaluate<{ frozen: boolean; nodeRequire: string; origin: string }>(
        '({ frozen: Object.isFrozen(window.radfedIpc), nodeRequire: typeof window.require, origin: location.origin })',
      );
      expect(shape).toEqual({ frozen: true, nodeRequire: 'undefined', origin: 'app://radfed' });
      expect(app.windows()).toHaveLength(1);
    } finally {
      await app.close();
      rmSync(root, { recursive: true, force: true });
    }
  });

  test('answers settings over IPC, shows a locked key as locked and refuses to change it', async () => {
    const { root, env } = presetWorkstation({ 'app.autoUpdate': false });
    const app = await electron.launch({ executablePath: electronBinary ?? undefined, args: ['.'], env });
    try {
      const appWindow = await app.firstWindow();
      const answer = await appWindow.evaluate<{
        locked: boolean;
        preset: boolean;
        refused: string;
      }>(`(async () => {
        // The envelope, as the page's API builds its errors from it (connect-to-agent.ts).
        const view = (await window.radfedIpc.invoke('settings:get')).value;
        const answer = await window.radfedIpc.invoke('settings:set', { 'app.autoUpdate': true });
        const refused = answer.ok ? 'changed' : answer.error.code;
        return { locked: view.settings['app.autoUpdate'].locked, preset: view.preset, refused };
      })()`);
      expect(answer).toEqual({ locked: true, preset: true, refused: 'setting-locked' });
    } finally {
      await app.close();
      rmSync(root, { recursive: true, force: true });
    }
  });

  test('closing the window keeps RadFed running in the tray', async () => {
    const { root, env } = presetWorkstation();
    const app = await electron.launch({ executablePath: electronBinary ?? undefined, args: ['.'], env });
    try {
      const appWindow = await app.firstWindow();
      await expect(appWindow.getByRole('heading', { level: 1, name: 'Dashboard' })).toBeVisible();
      // As the window's close button does: the 'close' event, which the app turns into hiding.
      await app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows()[0]?.close());
      const state = await app.evaluate(({ BrowserWindow }) =>
        BrowserWindow.getAllWindows().map((w) => ({ visible: w.isVisible() })),
      );
      expect(state).toEqual([{ visible: false }]);
    } finally {
      await app.close();
      rmSync(root, { recursive: true, force: true });
    }
  });
});
