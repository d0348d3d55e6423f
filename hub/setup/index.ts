// Creating a hub folder and loading its keys and settings.
export type { HubCertificates } from './certificates.ts';
export { checkHostNames } from './host-names.ts';
export {
  DEFAULT_HOSTS,
  DEFAULT_HUB_PORT,
  initHub,
  readHubConfig,
  type HubConfig,
  type InitHubOptions,
} from './hub-init.ts';
export { hubInfo, loadHubKeys, type HubKeys } from './hub-keys.ts';
export { hubLayout, type HubLayout } from './hub-layout.ts';
export { keepNewFilesPrivate, tightenHubFolder } from './private-folder.ts';
