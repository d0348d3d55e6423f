// What the renderer learns about the app's settings (`settings:get`), and what it may ask to change
// (`settings:set`). The catalogue of keys and their rules lives in main/app/settings; docs/settings.md
// describes each key for hospital IT.

/** A setting's value as it travels over IPC (JSON). */
export type SettingValue = string | number | boolean | string[] | null;

/** Which layer the value came from; `locked` wins over the user, the user over machine defaults. */
export type SettingSource = 'built-in' | 'machine-default' | 'user' | 'locked';

export interface SettingEntry {
  /** The effective value; null for a secret that is set (see `isSet`) and for a setting with no value. */
  value: SettingValue;
  source: SettingSource;
  /** Set by IT in the locked file: shown read-only, and `settings:set` refuses it. */
  locked: boolean;
  /** A secret (the enrollment token) is never sent back; the screen learns only whether it is set. */
  secret: boolean;
  isSet: boolean;
}

export interface SettingsView {
  /** Every known setting by key (`hub.url`, `app.startAtLogin`, ...). */
  settings: Record<string, SettingEntry>;
  /** True when IT preset the site (name and consent policy): the setup wizard is skipped. */
  preset: boolean;
  /** Sentences about files or values that were ignored, for the Settings page. */
  problems: string[];
}

export interface SettingsChangeRequest {
  /** Keys to change, with their new values; null resets a key to the machine default or built-in value. */
  changes: Record<string, SettingValue>;
}
