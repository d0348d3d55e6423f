// Exposes one frozen object (`window.radfedIpc`) to the renderer and nothing else: no ipcRenderer,
// no Node. It is a raw transport that answers with envelopes: contextBridge copies a thrown error with
// its message only, so the typed API (and its errors with their codes) is built on the page's side
// (renderer/src/connect-to-agent.ts). Sandboxed preloads cannot load ES modules, so packaging bundles
// this file into one CommonJS script (preload.cjs) beside main.
import { contextBridge, ipcRenderer } from 'electron';
import { createIpcTransport } from '../../shared/ipc/index.ts';

contextBridge.exposeInMainWorld(
  'radfedIpc',
  createIpcTransport((channel, payload) => ipcRenderer.invoke(channel, payload)),
);
