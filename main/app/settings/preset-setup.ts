// When IT preset the site (docs/settings.md, "Preset setup"), the app sets it up from the settings
// instead of showing the setup wizard: these are the choices the wizard would otherwise have asked for.
import type { SetupRequest } from '../../../shared/ipc/index.ts';
import type { DeidOption } from '../../site/deid/index.ts';
import type { Settings } from './setting-catalogue.ts';
import type { SettingsStore } from './settings-store.ts';

export interface PresetSetup {
  readonly name: string;
  readonly consentPolicy: 'opt-in' | 'opt-out';
  readonly consentScope?: string;
  readonly deidOptions: readonly DeidOption[];
  readonly watchFolder: string | null;
  readonly receiver: { port: number; aeTitle: string; allowedCallingAeTitles: readonly string[] } | null;
  /** Present when IT also gave the one-time token: the app enrolls with the hub on first launch. */
  readonly enrollment: { token: string; hubUrl?: string } | null;
}

/** The preset, or null when IT did not preset the site (the wizard runs). */
export function presetSetup(store: Pick<SettingsStore, 'view' | 'values'>): PresetSetup | null {
  if (!store.view().preset) return null;
  return presetFromValues(store.values());
}

export function presetFromValues(values: Settings): PresetSetup | null {
  const name = values['site.name'];
  const consentPolicy = values['site.consentPolicy'];
  if (name === null || consentPolicy === null) return null;
  const port = values['receiver.port'];
  const token = values['hub.enrollmentToken'];
  const hubUrl = values['hub.url'];
  return {
    name,
    consentPolicy,
    ...(values['site.consentScope'] === null ? {} : { consentScope: values['site.consentScope'] }),
    deidOptions: values['site.deidOptions'],
    watchFolder: values['studies.watchFolder'],
    receiver:
      port === null || values['receiver.allowedCallingAeTitles'].length === 0
        ? null
        : {
            port,
            aeTitle: values['receiver.aeTitle'],
            allowedCallingAeTitles: values['receiver.allowedCallingAeTitles'],
          },
    enrollment: token === null ? null : { token, ...(hubUrl === null ? {} : { hubUrl }) },
  };
}

/** IT's preset as the answers the setup wizard would have given (for SiteSession's `preset`). */
export function setupRequestFromPreset(preset: PresetSetup): SetupRequest {
  return {
    siteName: preset.name,
    consentPolicy: preset.consentPolicy,
    ...(preset.consentScope ? { consentScope: preset.consentScope } : {}),
    deidOptions: [...preset.deidOptions],
    studies: preset.receiver
      ? {
          kind: 'receiver',
          aeTitle: preset.receiver.aeTitle,
          port: preset.receiver.port,
          allowedCallingAeTitles: [...preset.receiver.allowedCallingAeTitles],
        }
      : preset.watchFolder
        ? { kind: 'watch', folder: preset.watchFolder }
        : { kind: 'folder' },
    hub: preset.enrollment
      ? {
          token: preset.enrollment.token,
          ...(preset.enrollment.hubUrl ? { url: preset.enrollment.hubUrl } : {}),
        }
      : null,
  };
}
