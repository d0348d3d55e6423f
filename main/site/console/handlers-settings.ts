// settings:get and settings:set. The settings themselves (files, layers, locks) live in the app's
// settings room (main/app/settings); the site agent sees them only through this port, so the web UI
// and the desktop shell answer the same way.
import type { SettingsChangeRequest, SettingsView } from '../../../shared/ipc/index.ts';
import { RadfedError } from '../../../shared/errors.ts';

/** What the handlers need; main/app/settings' SettingsStore satisfies it. */
export interface SettingsPort {
  view(): SettingsView;
  /** Throws a typed error (code `setting-locked`, `invalid-setting`, ...) with a sentence for a person. */
  set(changes: SettingsChangeRequest['changes']): SettingsView;
}

export class SettingsUnavailableError extends RadfedError<'settings-unavailable'> {
  override readonly name = 'SettingsUnavailableError';
  constructor() {
    super(
      'settings-unavailable',
      'This RadFed agent was started without its settings, so they cannot be shown or changed here. Restart it with the app or `radfed site ui`.',
    );
  }
}

export function createSettingsHandlers(settings: SettingsPort | undefined) {
  const port = (): SettingsPort => {
    if (!settings) throw new SettingsUnavailableError();
    return settings;
  };
  return {
    'settings:get': () => port().view(),
    'settings:set': (request: SettingsChangeRequest) => port().set(request.changes),
  } as const;
}
