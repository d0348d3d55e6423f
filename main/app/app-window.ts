// The one main window. Closing it hides it: the agent keeps running in the tray until Quit.
import { fileURLToPath } from 'node:url';
import { BrowserWindow } from 'electron';
import { APP_START_URL } from './app-protocol.ts';

// This file runs only as built by scripts/build-app.mjs into dist/app/, beside preload.cjs (a sandboxed
// preload must be one CommonJS file).
const PRELOAD_PATH = fileURLToPath(new URL('./preload.cjs', import.meta.url));

export class AppWindow {
  #window: BrowserWindow | null = null;
  #quitting = false;

  /** Shows the window, creating it when needed, and brings it to the front. */
  show(route?: string): void {
    const window = this.#window ?? this.#create();
    if (route) void window.loadURL(`${APP_START_URL}#/${route}`);
    if (window.isMinimized()) window.restore();
    window.show();
    window.focus();
  }

  /** From now on closing really closes (Quit from the tray or the menu). */
  allowClose(): void {
    this.#quitting = true;
  }

  #create(): BrowserWindow {
    const window = new BrowserWindow({
      width: 1280,
      height: 800,
      minWidth: 960,
      minHeight: 640,
      title: 'RadFed Site',
      show: false,
      webPreferences: {
        contextIsolation: true,
        sandbox: true,
        nodeIntegration: false,
        nodeIntegrationInWorker: false,
        webSecurity: true,
        allowRunningInsecureContent: false,
        experimentalFeatures: false,
        // A middle click must not open links in new windows (Electron security checklist).
        disableBlinkFeatures: 'Auxclick',
        // Reviewed: the preload exposes one frozen API object and nothing of Node (preload.ts).
        preload: PRELOAD_PATH, // eng-disable PRELOAD_JS_CHECK
      },
    });
    window.once('ready-to-show', () => window.show());
    window.on('close', (event) => {
      if (this.#quitting) return;
      event.preventDefault();
      window.hide();
    });
    window.on('closed', () => {
      this.#window = null;
    });
    void window.loadURL(APP_START_URL);
    this.#window = window;
    return window;
  }
}
