// The IPC contract, written once: every channel the renderer may call, with its request and response.
// Main registers handlers against this map; the preload and the web bridge build the API object from it.
import type { SiteStatus } from './site-status.ts';

/** Channel names, `domain:action`. Add a channel here, in `IpcContract`, in `ipcRequestSchemas` and in `RadfedApi`. */
export const IpcChannel = {
  siteStatus: 'site:status',
} as const;

export type IpcChannelName = (typeof IpcChannel)[keyof typeof IpcChannel];

export const IPC_CHANNEL_NAMES: readonly IpcChannelName[] = Object.freeze(Object.values(IpcChannel));

/** Request and response of each channel. `undefined` request: the call takes no argument. */
export interface IpcContract {
  'site:status': { request: undefined; response: SiteStatus };
}

export type IpcRequest<C extends IpcChannelName> = IpcContract[C]['request'];
export type IpcResponse<C extends IpcChannelName> = IpcContract[C]['response'];

export function isIpcChannelName(value: unknown): value is IpcChannelName {
  return typeof value === 'string' && (IPC_CHANNEL_NAMES as readonly string[]).includes(value);
}
