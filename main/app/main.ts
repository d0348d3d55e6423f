// Electron main: a thin shell over the site session (the same one `radfed site ui` runs). It serves the
// renderer over app://, answers the renderer's typed IPC through the site console's handlers, and keeps the
// agent running in the tray when the window is closed. One instance per user.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { app, dialog } from 'electron';
import {
  createIpcDispatcher,
  createIpcHandlers,
  SiteSession,
  type SiteSessionOptions,
} from '../site/console/index.ts';
import { registerAppScheme, serveRendererOverAppProtocol } from './app-protocol.ts';
import { AppTray } from './app-tray.ts';
import { AppWindow } from './app-window.ts';
import { registerIpcHandlers } from './ipc-wiring.ts';
import { presetSetup, setupRequestFromPreset, SettingsStore, settingsFilePaths } from './settings/index.ts';
import { resolveSiteFolder } from './site-folder.ts';
import { DesktopStatus, waitingTasks } from './tray/index.ts';
import { hardenAllWebContents } from './window-security.ts';
import { safeMessage } from '../../shared/log-safety.ts';
import { createLogger } from '../../shared/node/index.ts';

const logger = createLogger({ room: 'app' });
const RENDERER_DIR = fileURLToPath(new URL('../renderer/', import.meta.url));
/** Passed by the login item: start in the tray, without a window. */
const HIDDEN_FLAG = '--hidden';
const PROGRESS_POLL_MS = 3000;
const TASKS_POLL_MS = 5 * 60_000;

registerAppScheme();

if (app.requestSingleInstanceLock()) void start().catch(fail);
else app.quit();

async function start(): Promise<void> {
  await app.whenReady();
  hardenAllWebContents();
  const settings = new SettingsStore(settingsFilePaths(join(app.getPath('userData'), 'settings.json')));
  const values = settings.values();
  applyStartAtLogin(values['app.startAtLogin']);
  settings.subscribe((next, changed) => {
    if (changed.includes('app.startAtLogin')) applyStartAtLogin(next['app.startAtLogin']);
  });

  const window = new AppWindow();
  let status: DesktopStatus | null = null;
  const preset = presetSetup(settings);
  // `onEvent` feeds the tray from the federation loop, after the Training page's tracker has each event.
  const sessionOptions: SiteSessionOptions = {
    logger,
    origin: 'desktop',
    ...(values['training.backend'] === 'auto' ? {} : { backend: values['training.backend'] }),
    ...(preset ? { preset: setupRequestFromPreset(preset) } : {}),
    onEvent: (event) => status?.apply(event),
  };
  const session = await SiteSession.open(
    resolveSiteFolder(process.env, app.getPath('userData'), values['site.folder']),
    sessionOptions,
  );

  serveRendererOverAppProtocol(RENDERER_DIR);
  registerIpcHandlers(
    createIpcDispatcher(
      createIpcHandlers(session.agentPort(), {
        settings,
        setup: session,
        federation: session.federation,
        // The Browse button's system dialog; the web UI, without one, serves its own folder browser.
        folderDialog: {
          chooseFolder: async () => {
            const chosen = await dialog.showOpenDialog({ properties: ['openDirectory', 'createDirectory'] });
            return chosen.canceled ? null : (chosen.filePaths[0] ?? null);
          },
        },
      }),
      { logger },
    ),
  );

  const tray = new AppTray({
    open: (route) => window.show(route),
    togglePause: () => {
      const running = session.federation.progress().running;
      void session.federation.setRunning(!running).then((progress) => status?.applyProgress(progress));
    },
    quit: () => app.quit(),
  });
  status = new DesktopStatus({
    render: (view) => tray.render(view),
    notify: (notice) => tray.notify(notice),
    notificationsEnabled: () => settings.values()['app.notifications'],
  });

  const pollProgress = setInterval(
    () => status?.applyProgress(session.federation.progress()),
    PROGRESS_POLL_MS,
  );
  const pollTasks = setInterval(() => void refreshWaitingTasks(session, status), TASKS_POLL_MS);
  void refreshWaitingTasks(session, status);

  app.on('second-instance', () => window.show());
  app.on('activate', () => window.show());
  // The window's close hides it; the app lives on in the tray until Quit.
  app.on('window-all-closed', () => undefined);
  app.on('before-quit', () => window.allowClose());
  let closed = false;
  app.on('will-quit', (event) => {
    if (closed) return;
    // Stop the federation cleanly (training resumes from its checkpoint next time), then quit.
    event.preventDefault();
    clearInterval(pollProgress);
    clearInterval(pollTasks);
    tray.destroy();
    void session.close().finally(() => {
      closed = true;
      app.quit();
    });
  });

  if (!process.argv.includes(HIDDEN_FLAG)) window.show();
}

async function refreshWaitingTasks(session: SiteSession, status: DesktopStatus | null): Promise<void> {
  if (!status || !session.federation.enrolled) return;
  try {
    status.apply({ type: 'approvals', waiting: waitingTasks(await session.federation.tasks()) });
  } catch (error) {
    // The hub being out of reach is shown by the loop's own events; this is only a periodic look.
    logger.warn({ code: (error as { code?: unknown }).code }, 'could not list the hub tasks');
  }
}

function applyStartAtLogin(enabled: boolean): void {
  // Linux has no login items in Electron: IT uses an XDG autostart entry there (docs/installer.md).
  if (process.platform === 'linux') return;
  app.setLoginItemSettings({ openAtLogin: enabled, args: [HIDDEN_FLAG] });
}

function fail(error: unknown): void {
  logger.error({ err: error }, 'RadFed could not start');
  dialog.showErrorBox(
    'RadFed could not start',
    safeMessage(error) ??
      'RadFed hit an unexpected problem while starting. The details are in its log; try again.',
  );
  app.exit(1);
}
