import type { RadfedApi } from '../../shared/ipc/index.ts';

declare global {
  interface Window {
    /** Set by the Electron preload (contextBridge); absent in the local web UI. */
    readonly radfed?: RadfedApi;
  }
}
