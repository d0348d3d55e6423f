// What the renderer learns about the app's settings (`settings:get`), and what it may ask to change
// (`settings:set`). The catalogue of keys and their rules lives in main/app/settings; docs/settings.md
// describes each key for hospital IT.
import { z } from 'zod';

/** A setting's value as it travels over IPC (JSON). */
export const settingValueSchema = z.union([
  z.string().max(8192),
  z.number(),
  z.boolean(),
  z.array(z.string().max(4096)).max(100),
  z.null(),
]);
export type SettingValue = z.infer<typeof settingValueSchema>;

/** Which layer the value came from; `locked` wins over the user, the user over machine defaults. */
export const settingSourceSchema = z.enum(['built-in', 'machine-default', 'user', 'locked']);
export type SettingSource = z.infer<typeof settingSourceSchema>;

export const settingEntrySchema = z.object({
  /** The effective value; null for a secret that is set (see `isSet`) and for a setting with no value. */
  value: z.union([z.string(), z.number(), z.boolean(), z.array(z.string()), z.null()]),
  source: settingSourceSchema,
  /** Set by IT in the locked file: shown read-only, and `settings:set` refuses it. */
  locked: z.boolean(),
  /** A secret (the enrollment token) is never sent back; the screen learns only whether it is set. */
  secret: z.boolean(),
  isSet: z.boolean(),
});
export type SettingEntry = z.infer<typeof settingEntrySchema>;

export const settingsViewSchema = z.object({
  /** Every known setting by key (`hub.url`, `app.startAtLogin`, ...). */
  settings: z.record(z.string(), settingEntrySchema),
  /** True when IT preset the site (name and consent policy): the setup wizard is skipped. */
  preset: z.boolean(),
  /** Sentences about files or values that were ignored, for the Settings page. */
  problems: z.array(z.string()),
});
export type SettingsView = z.infer<typeof settingsViewSchema>;

export const settingsChangeRequestSchema = z.strictObject({
  /**
   * Keys to change, with their new values; null resets a key to the machine default or built-in value.
   * Values are checked key by key by the settings store, which knows each key's rule.
   */
  changes: z.record(z.string().max(100), settingValueSchema),
});
export type SettingsChangeRequest = z.infer<typeof settingsChangeRequestSchema>;
