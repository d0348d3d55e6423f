import type { IpcTransport } from '../../shared/ipc/index.ts';

declare global {
  interface Window {
    /** Set by the Electron preload (contextBridge); absent in the local web UI. */
    readonly radfedIpc?: IpcTransport;
  }
}
