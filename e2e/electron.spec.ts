// The desktop shell, launched through Playwright's Electron support. Electron's binary cannot be
// downloaded on the build machines, so these tests run only where it exists and say so when skipped.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
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

test.describe('Electron desktop shell (runs only where the Electron binary is installed)', () => {
  test.skip(electronBinary === null, 'Electron binary not available on this machine');

  test('opens one window on the dashboard with a frozen window.radfed API', async () => {
    const siteDir = mkdtempSync(join(tmpdir(), 'radfed-electron-'));
    const app = await electron.launch({
      executablePath: electronBinary ?? undefined,
      args: ['.'],
      env: { ...process.env, RADFED_SITE_DIR: join(siteDir, 'site') },
    });
    try {
      const appWindow = await app.firstWindow();
      await expect(appWindow.getByRole('heading', { level: 1, name: 'Dashboard' })).toBeVisible();
      await expect(appWindow.getByTestId('status-summary')).toHaveText('No studies imported yet.');
      // A string expression: the e2e files are type-checked for Node, without the DOM library.
      const shape = await appWindow.evaluate<{ frozen: boolean; nodeRequire: string }>(
        '({ frozen: Object.isFrozen(window.radfed), nodeRequire: typeof window.require })',
      );
      expect(shape).toEqual({ frozen: true, nodeRequire: 'undefined' });
      expect(app.windows()).toHaveLength(1);
    } finally {
      await app.close();
      rmSync(siteDir, { recursive: true, force: true });
    }
  });
});
