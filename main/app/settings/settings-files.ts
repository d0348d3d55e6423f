// Where the settings files live, and reading one layer. A bad file or value must not stop a workstation:
// it is ignored and reported in a sentence (which names the file and key, never the value, since a
// value might be a token).
import { readFileSync } from 'node:fs';
import { posix, win32 } from 'node:path';
import type { SettingValue } from '../../../shared/ipc/index.ts';
import { JsonTextError, parseJsonText } from '../../../shared/json-text.ts';
import { checkSettingValue, isSettingKey, type SettingKey } from './setting-catalogue.ts';

export interface SettingsFilePaths {
  /** IT's machine-wide defaults (read only). */
  readonly defaultsFile: string;
  /** IT's locked settings (read only). */
  readonly lockedFile: string;
  /** The user's own choices (written by the app). */
  readonly userFile: string;
}

/** The machine folder for IT's files, per operating system (docs/settings.md). */
export function machineSettingsDir(
  platform: NodeJS.Platform = process.platform,
  env: NodeJS.ProcessEnv = process.env,
): string {
  const override = env.RADFED_SETTINGS_DIR?.trim();
  if (override) return override;
  // path.win32, so the answer is the same when this runs on another OS (tests).
  if (platform === 'win32')
    return win32.join(env.ProgramData ?? env.PROGRAMDATA ?? 'C:\\ProgramData', 'RadFed');
  if (platform === 'darwin') return '/Library/Application Support/RadFed';
  return '/etc/radfed';
}

export function settingsFilePaths(
  userFile: string,
  platform: NodeJS.Platform = process.platform,
  env: NodeJS.ProcessEnv = process.env,
): SettingsFilePaths {
  const dir = machineSettingsDir(platform, env);
  const { join } = platform === 'win32' ? win32 : posix;
  return { defaultsFile: join(dir, 'defaults.json'), lockedFile: join(dir, 'locked.json'), userFile };
}

export interface SettingsLayer {
  /** Valid values only. */
  readonly values: Partial<Record<SettingKey, SettingValue>>;
  /** Every known key the file names, valid or not (a locked file locks a key even with a bad value). */
  readonly namedKeys: ReadonlySet<SettingKey>;
  readonly problems: readonly string[];
}

const EMPTY_LAYER: SettingsLayer = { values: {}, namedKeys: new Set(), problems: [] };

/** Reads one settings file; a missing file is an empty layer. `label` names the file in problems. */
export function readSettingsLayer(file: string, label: string): SettingsLayer {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return EMPTY_LAYER;
    return { ...EMPTY_LAYER, problems: [`The ${label} (${file}) could not be read, so it was ignored.`] };
  }
  let raw: unknown;
  try {
    raw = parseJsonText(text, {
      what: `The ${label} (${file})`,
      todo: 'It was ignored: fix the file or remove it.',
    });
  } catch (error) {
    if (!(error instanceof JsonTextError)) throw error;
    return { ...EMPTY_LAYER, problems: [error.message] };
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return {
      ...EMPTY_LAYER,
      problems: [`The ${label} (${file}) must hold one JSON object of settings, so it was ignored.`],
    };
  }
  const values: Partial<Record<SettingKey, SettingValue>> = {};
  const namedKeys = new Set<SettingKey>();
  const problems: string[] = [];
  for (const [key, value] of Object.entries(raw)) {
    if (!isSettingKey(key)) {
      problems.push(`The ${label} names an unknown setting "${key.slice(0, 80)}"; it was ignored.`);
      continue;
    }
    namedKeys.add(key);
    const checked = checkSettingValue(key, value);
    if (checked.ok) values[key] = checked.value;
    else
      problems.push(
        `The ${label} gives "${key}" a value RadFed cannot use (${checked.reason}); it was ignored.`,
      );
  }
  return { values, namedKeys, problems };
}
