export type { SiteStatus } from './site-status.ts';
export {
  IpcChannel,
  IPC_CHANNEL_NAMES,
  isIpcChannelName,
  type IpcChannelName,
  type IpcContract,
  type IpcRequest,
  type IpcResponse,
} from './channels.ts';
export { ipcOk, ipcFail, isIpcResult, type IpcError, type IpcErrorCode, type IpcResult } from './result.ts';
export { ipcRequestSchemas } from './schemas.ts';
export { createRadfedApi, RadfedApiError, type IpcInvoke, type RadfedApi } from './radfed-api.ts';
