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
  type IpcServicePorts,
} from './ipc-handlers.ts';
export { createSettingsHandlers, SettingsUnavailableError, type SettingsPort } from './handlers-settings.ts';
export {
  createSetupHandlers,
  ServiceUnavailableError,
  type FederationPort,
  type SetupPort,
} from './handlers-setup.ts';
export { SiteSession, SiteNotSetUpError, type SiteSessionOptions } from './site-session.ts';
export {
  FederationService,
  describePrivacyBudget,
  type FederationServiceOptions,
} from './federation-service.ts';
export { FederationProgressTracker } from './federation-progress.ts';
export { SiteSetupError, applySetup, checkHubConnection, readSetupState } from './site-setup.ts';
export {
  contentTypeFor,
  defaultRendererDir,
  resolveRendererFile,
  RENDERER_CONTENT_SECURITY_POLICY,
  RENDERER_SECURITY_HEADERS,
} from './renderer-files.ts';
export { ACCESS_TOKEN_PAGE, NOT_FOUND_PAGE, RENDERER_NOT_BUILT_PAGE } from './plain-pages.ts';
