// The merged settings: locked (IT) over the user's own over machine defaults (IT) over built-in values.
// The files are read again on every call, so IT's changes apply without a restart and there is no cache
// to go stale; they are a few hundred bytes.
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { AtomicWriteError, writeFileAtomically } from '../../../shared/node/index.ts';
import type { SettingEntry, SettingSource, SettingsView, SettingValue } from '../../../shared/ipc/index.ts';
import {
  checkSettingValue,
  isSettingKey,
  SETTING_CATALOGUE,
  SETTING_KEYS,
  type SettingKey,
  type Settings,
} from './setting-catalogue.ts';
import { readSettingsLayer, type SettingsFilePaths, type SettingsLayer } from './settings-files.ts';
import { RadfedError } from '../../../shared/errors.ts';

export class SettingsError extends RadfedError<
  'setting-locked' | 'unknown-setting' | 'invalid-setting' | 'settings-not-saved'
> {
  override readonly name = 'SettingsError';
}

interface Resolved {
  readonly values: Settings;
  readonly sources: Record<SettingKey, SettingSource>;
  readonly problems: string[];
}

export type SettingsListener = (values: Settings, changed: readonly SettingKey[]) => void;

export class SettingsStore {
  private readonly listeners = new Set<SettingsListener>();

  constructor(readonly paths: SettingsFilePaths) {}

  /** The effective value of every setting, secrets included: for the main process, never the renderer. */
  values(): Settings {
    return this.resolve().values;
  }

  isLocked(key: SettingKey): boolean {
    return readSettingsLayer(this.paths.lockedFile, 'locked settings file').namedKeys.has(key);
  }

  /** What the screen may see: every value but secrets, where each came from, and what was ignored. */
  view(): SettingsView {
    const { values, sources, problems } = this.resolve();
    const settings: Record<string, SettingEntry> = {};
    for (const key of SETTING_KEYS) {
      const value = values[key];
      const secret = 'secret' in SETTING_CATALOGUE[key];
      settings[key] = {
        value: secret ? null : value,
        source: sources[key],
        locked: sources[key] === 'locked',
        secret,
        isSet: value !== null,
      };
    }
    return { settings, preset: isPreset(values, sources), problems };
  }

  /**
   * Applies the user's changes, all or none: an unknown key, a locked key or a bad value refuses the
   * whole request. A null value removes the user's choice, so the machine default or built-in value applies.
   */
  set(changes: Readonly<Record<string, unknown>>): SettingsView {
    const locked = readSettingsLayer(this.paths.lockedFile, 'locked settings file');
    const accepted: [SettingKey, SettingValue][] = [];
    for (const [key, value] of Object.entries(changes)) {
      if (!isSettingKey(key)) {
        throw new SettingsError(
          'unknown-setting',
          `RadFed has no setting called "${key.slice(0, 80)}". Nothing was changed.`,
        );
      }
      if (locked.namedKeys.has(key)) {
        throw new SettingsError(
          'setting-locked',
          `The setting "${key}" is locked by your IT department on this computer, so it cannot be changed here. Nothing was changed; ask IT if it needs a different value.`,
        );
      }
      if (value === null) {
        accepted.push([key, null]);
        continue;
      }
      const checked = checkSettingValue(key, value);
      if (!checked.ok) {
        throw new SettingsError(
          'invalid-setting',
          `The value for "${key}" cannot be used: ${checked.reason}. Nothing was changed.`,
        );
      }
      accepted.push([key, checked.value]);
    }
    this.writeUserChoices(accepted);
    const after = this.values();
    const changed = accepted.map(([key]) => key);
    for (const listener of this.listeners) listener(after, changed);
    return this.view();
  }

  /** Called after each successful `set` (start at login, notifications: the shell applies them). */
  subscribe(listener: SettingsListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private resolve(): Resolved {
    const locked = readSettingsLayer(this.paths.lockedFile, 'locked settings file');
    const user = readSettingsLayer(this.paths.userFile, 'your settings file');
    const defaults = readSettingsLayer(this.paths.defaultsFile, 'machine-wide defaults file');
    const values = {} as Record<SettingKey, SettingValue>;
    const sources = {} as Record<SettingKey, SettingSource>;
    for (const key of SETTING_KEYS) {
      const [value, source] = pick(key, locked, user, defaults);
      values[key] = value;
      sources[key] = source;
    }
    return {
      values: values as Settings,
      sources,
      problems: [...locked.problems, ...defaults.problems, ...user.problems],
    };
  }

  private writeUserChoices(accepted: readonly [SettingKey, SettingValue][]): void {
    // Keys this version does not know are kept: they may belong to a newer RadFed sharing the file.
    const current = readUserFileObject(this.paths.userFile);
    for (const [key, value] of accepted) {
      if (value === null) delete current[key];
      else current[key] = value;
    }
    try {
      mkdirSync(dirname(this.paths.userFile), { recursive: true });
      // 0600: the file may hold the enrollment token until the site is enrolled.
      writeFileAtomically(this.paths.userFile, `${JSON.stringify(current, null, 2)}\n`, { mode: 0o600 });
    } catch (error) {
      throw new SettingsError(
        'settings-not-saved',
        `Your settings could not be saved in ${this.paths.userFile} (${error instanceof AtomicWriteError ? error.reason : ((error as NodeJS.ErrnoException).code ?? 'write failed')}). Check that the folder exists and you may write to it.`,
      );
    }
  }
}

function pick(
  key: SettingKey,
  locked: SettingsLayer,
  user: SettingsLayer,
  defaults: SettingsLayer,
): [SettingValue, SettingSource] {
  // A locked key with a bad value stays locked, at its built-in value: IT meant users not to choose it.
  if (locked.namedKeys.has(key)) return [locked.values[key] ?? SETTING_CATALOGUE[key].builtIn, 'locked'];
  const own = user.values[key];
  if (own !== undefined) return [own, 'user'];
  const preset = defaults.values[key];
  if (preset !== undefined) return [preset, 'machine-default'];
  return [SETTING_CATALOGUE[key].builtIn, 'built-in'];
}

const FROM_IT: ReadonlySet<SettingSource> = new Set(['locked', 'machine-default']);

function isPreset(values: Settings, sources: Record<SettingKey, SettingSource>): boolean {
  return (
    values['site.name'] !== null &&
    values['site.consentPolicy'] !== null &&
    FROM_IT.has(sources['site.name']) &&
    FROM_IT.has(sources['site.consentPolicy'])
  );
}

function readUserFileObject(file: string): Record<string, unknown> {
  try {
    const raw: unknown = JSON.parse(readFileSync(file, 'utf8'));
    if (typeof raw === 'object' && raw !== null && !Array.isArray(raw)) return raw as Record<string, unknown>;
  } catch {
    // Missing or unreadable: start afresh (the problem was already reported by view()).
  }
  return {};
}
