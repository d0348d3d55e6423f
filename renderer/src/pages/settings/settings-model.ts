// What the Settings page shows and asks, in plain words: the app settings a person may change on this
// computer (the rest of the catalogue are IT's presets for the site, shown as locks on the site's own
// fields), where each value came from, and which field a refusal from the agent belongs beside.
// Pure, so it is tested without a browser.
import type { SettingEntry, SettingsView, SettingValue } from '../../../../shared/ipc/index.ts';

export interface AppSettingField {
  readonly key: string;
  readonly label: string;
  readonly hint: string;
  readonly kind: 'switch' | 'choice';
  readonly choices?: readonly { value: string; label: string }[];
}

/** The settings of this computer, in the order shown. */
export const APP_SETTING_FIELDS: readonly AppSettingField[] = [
  {
    key: 'training.backend',
    label: 'Training device',
    hint: 'Automatic picks the fastest this computer has; choose another only when IT asks.',
    kind: 'choice',
    choices: [
      { value: 'auto', label: 'Automatic (recommended)' },
      { value: 'tensorflow', label: 'TensorFlow (graphics card with CUDA)' },
      { value: 'webgpu', label: 'Graphics card (WebGPU)' },
      { value: 'wasm', label: 'Processor, fast (WebAssembly)' },
      { value: 'cpu', label: 'Processor, simple' },
    ],
  },
  {
    key: 'app.startAtLogin',
    label: 'Start RadFed when I sign in to this computer',
    hint: 'So training goes on after a restart.',
    kind: 'switch',
  },
  {
    key: 'app.notifications',
    label: 'Show notifications',
    hint: 'When a task waits for approval or training ends.',
    kind: 'switch',
  },
  {
    key: 'app.autoUpdate',
    label: 'Install updates automatically',
    hint: 'Your IT department may decide this for you.',
    kind: 'switch',
  },
];

const SOURCE_WORDS: Record<SettingEntry['source'], string> = {
  'built-in': 'RadFed\u2019s default',
  'machine-default': 'Default set by your IT department',
  user: 'Chosen here',
  locked: 'Locked by your IT department',
};

/** Where a value came from, in words. */
export function sourceWords(entry: SettingEntry | undefined): string {
  return entry ? SOURCE_WORDS[entry.source] : 'Not known to this version of RadFed';
}

/** The IT preset keys that lock a field of the site's own settings (docs/settings.md). */
export const SITE_FIELD_LOCKS = {
  siteName: ['site.name'],
  consentPolicy: ['site.consentPolicy'],
  consentScope: ['site.consentScope'],
  studies: ['studies.watchFolder', 'receiver.port', 'receiver.aeTitle', 'receiver.allowedCallingAeTitles'],
  hubUrl: ['hub.url'],
} as const;

export type SiteField = keyof typeof SITE_FIELD_LOCKS;

export function isLocked(view: SettingsView | null, field: SiteField): boolean {
  return SITE_FIELD_LOCKS[field].some((key) => view?.settings[key]?.locked === true);
}

/** The app settings that differ from what is shown as saved: what `settings:set` is asked to change. */
export function changedSettings(
  view: SettingsView,
  edited: Readonly<Record<string, SettingValue>>,
): Record<string, SettingValue> {
  const changes: Record<string, SettingValue> = {};
  for (const field of APP_SETTING_FIELDS) {
    const entry = view.settings[field.key];
    if (!entry || entry.locked || !(field.key in edited)) continue;
    const value = edited[field.key] ?? null;
    if (JSON.stringify(value) !== JSON.stringify(entry.value)) changes[field.key] = value;
  }
  return changes;
}

/**
 * The field a refusal from the agent belongs beside: the one setting changed, or the one the error
 * names (a setting-locked or invalid-setting message quotes its key); null: shown under the form.
 */
export function fieldOfRefusal(message: string, changed: readonly string[]): string | null {
  const named = changed.find((key) => message.includes(`"${key}"`));
  if (named) return named;
  return changed.length === 1 ? (changed[0] ?? null) : null;
}

/** The site-side error codes that belong beside a field of the site's form. */
export function siteFieldOfError(code: string | undefined): 'site-name' | 'studies' | null {
  if (code === 'invalid-site-name' || code === 'bad-name') return 'site-name';
  if (code === 'invalid-setup') return 'studies';
  return null;
}
