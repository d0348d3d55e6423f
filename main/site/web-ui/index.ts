export {
  startSiteWebUi,
  SiteWebUiError,
  API_INVOKE_PATH,
  type SiteWebUi,
  type SiteWebUiOptions,
} from './web-ui-server.ts';
export {
  createIpcHandlers,
  createIpcDispatcher,
  type IpcDispatch,
  type IpcHandlers,
  type IpcLogger,
  type SiteAgentPort,
} from './ipc-handlers.ts';
export {
  contentTypeFor,
  defaultRendererDir,
  resolveRendererFile,
  RENDERER_CONTENT_SECURITY_POLICY,
  RENDERER_SECURITY_HEADERS,
} from './renderer-files.ts';
export { ACCESS_TOKEN_PAGE, NOT_FOUND_PAGE, RENDERER_NOT_BUILT_PAGE } from './plain-pages.ts';
