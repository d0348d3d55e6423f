// The IPC contract between the screens and the site agent: the table of channels (channels.ts), the
// schemas and types of each request and answer (*-view.ts), the envelope (result.ts) and the API
// object both shells expose (radfed-api.ts).
export type * from './site-status.ts';
export type * from './setup-types.ts';
export type * from './federation-view.ts';
export type * from './settings-view.ts';
export type * from './studies-view.ts';
export type * from './consent-view.ts';
export type * from './audit-view.ts';
export type * from './cohort-view.ts';
export type * from './first-day-view.ts';
export type * from './held-view.ts';
export type * from './swarm-view.ts';
export type * from './split-limits-view.ts';
export type * from './stored-studies-view.ts';
export { IpcChannel, IPC_CHANNEL_NAMES, isIpcChannelName } from './channel-names.ts';
export {
  ipcContract,
  type IpcChannelName,
  type IpcChannelSpec,
  type IpcContract,
  type IpcRequest,
  type IpcResponse,
} from './channels.ts';
export { ipcOk, ipcFail, isIpcResult, type IpcError, type IpcErrorCode, type IpcResult } from './result.ts';
export { createRadfedApi, RadfedApiError, type IpcInvoke, type RadfedApi } from './radfed-api.ts';
export { createIpcTransport, type IpcTransport } from './ipc-transport.ts';
export { SPLIT_LIMIT_BOUNDS } from './split-limits-view.ts';
export {
  deriveSiteActivity,
  type SiteActivity,
  type SiteActivityFacts,
  type SiteActivityState,
} from './site-activity.ts';
