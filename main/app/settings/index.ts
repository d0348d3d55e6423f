// Settings hospital IT can preset and lock (docs/settings.md). Plain Node, no Electron: the desktop
// shell and the local web UI (`radfed site ui`) read the same files through this door.
export {
  checkSettingValue,
  isSettingKey,
  SETTING_CATALOGUE,
  SETTING_KEYS,
  type SettingKey,
  type Settings,
} from './setting-catalogue.ts';
export {
  machineSettingsDir,
  readSettingsLayer,
  settingsFilePaths,
  type SettingsFilePaths,
  type SettingsLayer,
} from './settings-files.ts';
export { SettingsError, SettingsStore, type SettingsListener } from './settings-store.ts';
export { presetFromValues, presetSetup, setupRequestFromPreset, type PresetSetup } from './preset-setup.ts';
