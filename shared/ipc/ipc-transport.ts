// What the Electron preload hands the page: a raw `invoke` that answers with the envelope, never a
// thrown error. Electron's contextBridge copies an error thrown across it with its message only (the
// `code` and the class are lost), so the typed API object and its RadfedApiError must be built on the
// page's side of the bridge (renderer/src/connect-to-agent.ts), from this transport. The transport
// refuses channels that are not in the contract before anything reaches the main process.
import { isIpcChannelName } from './channel-names.ts';
import { ipcFail } from './result.ts';

export interface IpcTransport {
  /** Sends one request; resolves with the agent's envelope (`{ ok, value }` or `{ ok: false, error }`). */
  readonly invoke: (channel: string, payload?: unknown) => Promise<unknown>;
}

export function createIpcTransport(
  send: (channel: string, payload: unknown) => Promise<unknown>,
): IpcTransport {
  return Object.freeze({
    invoke: async (channel: string, payload?: unknown): Promise<unknown> => {
      if (!isIpcChannelName(channel)) {
        return ipcFail(
          'unknown-channel',
          'This screen asked the site agent for something it does not offer.',
        );
      }
      try {
        return await send(channel, payload);
      } catch {
        // ipcRenderer.invoke rejects only when the main process had no answer at all.
        return ipcFail(
          'unreachable',
          'The RadFed site agent did not answer. Close RadFed from its tray icon and start it again.',
        );
      }
    },
  });
}
