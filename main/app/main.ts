// Electron main: a thin shell over the site agent. It opens the site, serves the renderer over
// app://, and answers the renderer's typed IPC calls through the same handlers as the local web UI.
import { fileURLToPath } from 'node:url';
import { app, BrowserWindow, dialog } from 'electron';
import pino from 'pino';
import { initSite, SiteAgent, SiteError } from '../site/index.ts';
import { createIpcDispatcher, createIpcHandlers } from '../site/web-ui/index.ts';
import { APP_START_URL, registerAppScheme, serveRendererOverAppProtocol } from './app-protocol.ts';
import { registerIpcHandlers } from './ipc-wiring.ts';
import { resolveSiteFolder } from './site-folder.ts';
import { hardenAllWebContents } from './window-security.ts';

const logger = pino({ name: 'radfed-app' });
// This file runs only as built by scripts/build-app.mjs into dist/app/, beside preload.cjs (a sandboxed
// preload must be one CommonJS file) and next to dist/renderer/.
const PRELOAD_PATH = fileURLToPath(new URL('./preload.cjs', import.meta.url));
const RENDERER_DIR = fileURLToPath(new URL('../renderer/', import.meta.url));

registerAppScheme();

function openSiteAgent(directory: string): SiteAgent {
  try {
    return SiteAgent.open(directory, { logger });
  } catch (error) {
    if (!(error instanceof SiteError && error.code === 'not-a-site')) throw error;
    // Until the setup wizard exists, a first launch creates the site with the Basic Profile only.
    initSite(directory, { name: 'RadFed site', deidOptions: [] });
    return SiteAgent.open(directory, { logger });
  }
}

function createMainWindow(): BrowserWindow {
  const window = new BrowserWindow({
    width: 1280,
    height: 800,
    title: 'RadFed Site',
    show: false,
    webPreferences: {
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      preload: PRELOAD_PATH,
    },
  });
  window.once('ready-to-show', () => window.show());
  void window.loadURL(APP_START_URL);
  return window;
}

async function start(): Promise<void> {
  await app.whenReady();
  hardenAllWebContents();
  let agent: SiteAgent;
  try {
    agent = openSiteAgent(resolveSiteFolder(process.env, app.getPath('userData')));
  } catch (error) {
    dialog.showErrorBox(
      'RadFed could not open the site',
      error instanceof Error ? error.message : String(error),
    );
    app.quit();
    return;
  }
  serveRendererOverAppProtocol(RENDERER_DIR);
  registerIpcHandlers(createIpcDispatcher(createIpcHandlers(agent), { logger }));
  createMainWindow();

  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createMainWindow();
  });
  app.on('window-all-closed', () => app.quit());
  app.on('will-quit', () => agent.close());
}

void start();
