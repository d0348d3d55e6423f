// Exposes one frozen, typed object (`window.radfed`) to the renderer and nothing else: no ipcRenderer,
// no Node. Sandboxed preloads cannot load ES modules, so packaging bundles this file into one
// CommonJS script (preload.cjs) beside main.
import { contextBridge, ipcRenderer } from 'electron';
import { createRadfedApi } from '../../shared/ipc/index.ts';

contextBridge.exposeInMainWorld(
  'radfed',
  createRadfedApi((channel, payload) => ipcRenderer.invoke(channel, payload)),
);
