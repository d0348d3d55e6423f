// The site console: what both shells (the Electron app and `radfed site ui`) run behind the screens.
// The session a shell opens on a site folder, the IPC handlers that answer every channel of the typed
// contract in shared/ipc, and the setup steps both shells share. The shells only carry the calls:
// Electron over ipcMain (main/app/ipc-wiring.ts), the web UI over POST /api/invoke (../web-ui).
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
export { FederationService, type FederationServiceOptions } from './federation-service.ts';
export { FederationProgressTracker } from './federation-progress.ts';
export { SiteSetupError, applySetup, checkHubConnection, readSetupState } from './site-setup.ts';
