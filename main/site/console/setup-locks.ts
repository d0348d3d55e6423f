// What hospital IT locked (docs/settings.md, the locked settings file) applies to the site's own
// settings too: the setup wizard and Settings save through setup:finish, and a locked key's value may
// not be changed there either. The screens show those fields locked; this is the agent's refusal for
// a request that changes one anyway.
import type { SettingsView, SetupRequest, SetupState, StudiesSource } from '../../../shared/ipc/index.ts';
import { RadfedError } from '../../../shared/errors.ts';

export class SettingLockedError extends RadfedError<'setting-locked'> {
  override readonly name = 'SettingLockedError';
  constructor(
    readonly key: string,
    label: string,
    itsValue?: string,
  ) {
    super(
      'setting-locked',
      `${label} is locked by your IT department on this computer${itsValue ? ` (to ${itsValue})` : ''}, so it cannot be changed here. Nothing was changed; ask IT if it needs a different value.`,
    );
  }
}

type Site = NonNullable<SetupState['site']>;

/** Each lockable key: its plain label, its value in a request, and its value in the site as it is. */
const SITE_KEYS: readonly {
  key: string;
  label: string;
  wanted: (request: SetupRequest) => unknown;
  current: (site: Site) => unknown;
}[] = [
  { key: 'site.name', label: 'The site name', wanted: (r) => r.siteName.trim(), current: (s) => s.name },
  {
    key: 'site.consentPolicy',
    label: 'The consent policy',
    wanted: (r) => r.consentPolicy,
    current: (s) => s.consentPolicy,
  },
  {
    key: 'site.consentScope',
    label: 'What the consent covers',
    wanted: (r) => r.consentScope?.trim() || null,
    current: (s) => s.consentScope,
  },
  {
    key: 'site.deidOptions',
    label: 'The de-identification choice',
    wanted: (r) => [...r.deidOptions].sort(),
    current: (s) => [...s.deidOptions].sort(),
  },
  ...['studies.watchFolder', 'receiver.port', 'receiver.aeTitle', 'receiver.allowedCallingAeTitles'].map(
    (key) => ({
      key,
      label: 'Where studies come from',
      wanted: (r: SetupRequest) => studiesKey(r.studies),
      current: (s: Site) => studiesKey(s.studies),
    }),
  ),
];

function studiesKey(studies: StudiesSource): string {
  return JSON.stringify(studies);
}

/** A new site's values from IT's locked settings: what the wizard's answers must match. */
const NEW_SITE_KEYS: readonly { key: string; label: string; wanted: (request: SetupRequest) => unknown }[] = [
  { key: 'site.name', label: 'The site name', wanted: (r) => r.siteName.normalize('NFC').trim() },
  { key: 'site.consentPolicy', label: 'The consent policy', wanted: (r) => r.consentPolicy },
  {
    key: 'site.consentScope',
    label: 'What the consent covers',
    wanted: (r) => r.consentScope?.trim() || null,
  },
];

/**
 * Refuses a request that changes a locked key: of a site that exists, against its current value; for a
 * new site (IT locked some values without presetting the whole setup), against IT's value.
 */
export function refuseLockedChanges(request: SetupRequest, state: SetupState, settings: SettingsView): void {
  const site = state.site;
  if (!site) {
    for (const { key, label, wanted } of NEW_SITE_KEYS) {
      const entry = settings.settings[key];
      if (!entry?.locked || entry.value === null) continue;
      if (JSON.stringify(wanted(request)) !== JSON.stringify(entry.value)) {
        throw new SettingLockedError(key, label, `"${String(entry.value)}"`);
      }
    }
    return;
  }
  for (const { key, label, wanted, current } of SITE_KEYS) {
    if (!settings.settings[key]?.locked) continue;
    if (JSON.stringify(wanted(request)) !== JSON.stringify(current(site))) {
      throw new SettingLockedError(key, label);
    }
  }
}
