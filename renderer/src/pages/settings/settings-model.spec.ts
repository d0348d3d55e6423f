import { describe, expect, it } from 'vitest';
import type { SettingEntry, SettingsView } from '../../../../shared/ipc/index.ts';
import {
  changedSettings,
  fieldOfRefusal,
  isLocked,
  siteFieldOfError,
  sourceWords,
} from './settings-model.ts';

const entry = (value: SettingEntry['value'], source: SettingEntry['source'] = 'built-in'): SettingEntry => ({
  value,
  source,
  locked: source === 'locked',
  secret: false,
  isSet: value !== null,
});

const view = (settings: Record<string, SettingEntry>): SettingsView => ({
  settings,
  preset: false,
  problems: [],
});

describe('the Settings page model', () => {
  it('asks to change only what was changed, never a locked setting', () => {
    const v = view({
      'app.notifications': entry(true),
      'app.startAtLogin': entry(false, 'locked'),
      'training.backend': entry('auto'),
    });
    expect(
      changedSettings(v, {
        'app.notifications': false,
        'app.startAtLogin': true,
        'training.backend': 'auto',
      }),
    ).toEqual({ 'app.notifications': false });
  });

  it('puts a refusal beside the setting it names, or the only one changed', () => {
    expect(
      fieldOfRefusal('The value for "training.backend" cannot be used', [
        'app.notifications',
        'training.backend',
      ]),
    ).toBe('training.backend');
    expect(fieldOfRefusal('Your settings could not be saved', ['app.notifications'])).toBe(
      'app.notifications',
    );
    expect(fieldOfRefusal('Your settings could not be saved', ['a', 'b'])).toBeNull();
  });

  it('marks a site field locked when IT locked any key behind it', () => {
    const v = view({ 'receiver.port': entry(104, 'locked'), 'site.name': entry(null) });
    expect(isLocked(v, 'studies')).toBe(true);
    expect(isLocked(v, 'siteName')).toBe(false);
    expect(isLocked(null, 'siteName')).toBe(false);
  });

  it('says where a value came from in words, and where a site error belongs', () => {
    expect(sourceWords(entry(true, 'machine-default'))).toBe('Default set by your IT department');
    expect(sourceWords(undefined)).toMatch(/Not known/);
    expect(siteFieldOfError('invalid-site-name')).toBe('site-name');
    expect(siteFieldOfError('hub-problem')).toBeNull();
  });
});
