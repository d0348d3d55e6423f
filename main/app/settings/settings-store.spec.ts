import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  machineSettingsDir,
  presetSetup,
  SettingsError,
  SettingsStore,
  settingsFilePaths,
  type SettingsFilePaths,
} from './index.ts';

let dir: string;
let paths: SettingsFilePaths;
let store: SettingsStore;

const write = (file: string, content: unknown) => {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
};

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'radfed-settings-'));
  paths = settingsFilePaths(join(dir, 'user', 'settings.json'), 'linux', { RADFED_SETTINGS_DIR: dir });
  store = new SettingsStore(paths);
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('SettingsStore layers', () => {
  it('uses built-in values when no file exists', () => {
    const view = store.view();
    expect(view.settings['app.autoUpdate']).toMatchObject({
      value: false,
      source: 'built-in',
      locked: false,
    });
    expect(view.settings['training.backend']?.value).toBe('auto');
    expect(view.preset).toBe(false);
    expect(view.problems).toEqual([]);
  });

  it('puts locked over the user, the user over machine defaults', () => {
    write(paths.defaultsFile, {
      'training.backend': 'wasm',
      'app.notifications': false,
      'hub.url': 'https://a.test',
    });
    write(paths.lockedFile, { 'hub.url': 'https://locked.test' });
    store.set({ 'training.backend': 'cpu', 'studies.watchFolder': '/data/drop' });
    const { settings } = store.view();
    expect(settings['training.backend']).toMatchObject({ value: 'cpu', source: 'user', locked: false });
    expect(settings['app.notifications']).toMatchObject({ value: false, source: 'machine-default' });
    expect(settings['hub.url']).toMatchObject({
      value: 'https://locked.test',
      source: 'locked',
      locked: true,
    });
    expect(settings['studies.watchFolder']?.value).toBe('/data/drop');
  });

  it('reads IT changes to the files without a restart', () => {
    expect(store.values()['app.startAtLogin']).toBe(false);
    write(paths.lockedFile, { 'app.startAtLogin': true });
    expect(store.values()['app.startAtLogin']).toBe(true);
    expect(store.isLocked('app.startAtLogin')).toBe(true);
  });
});

describe('SettingsStore.set', () => {
  it('refuses a locked key with setting-locked and a plain sentence, changing nothing', () => {
    write(paths.lockedFile, { 'app.autoUpdate': false });
    const attempt = () => store.set({ 'app.notifications': false, 'app.autoUpdate': true });
    expect(attempt).toThrow(SettingsError);
    expect(attempt).toThrow(/locked by your IT department/);
    expect(() => attempt()).toThrow(expect.objectContaining({ code: 'setting-locked' }));
    // All or none: the unlocked key in the same request was not written either.
    expect(store.view().settings['app.notifications']?.source).toBe('built-in');
  });

  it('refuses unknown keys and bad values, naming the key but not the value', () => {
    expect(() => store.set({ 'hub.password': 'x' })).toThrow(
      expect.objectContaining({ code: 'unknown-setting' }),
    );
    const bad = (() => {
      try {
        store.set({ 'hub.url': 'http://plain-hub.test' });
      } catch (error) {
        return error as SettingsError;
      }
      throw new Error('expected a refusal');
    })();
    expect(bad.code).toBe('invalid-setting');
    expect(bad.message).toContain('hub.url');
    expect(bad.message).toContain('https://');
    expect(bad.message).not.toContain('plain-hub.test');
    expect(() =>
      store.set({ 'site.deidOptions': ['retain-long-full-dates', 'retain-long-modified-dates'] }),
    ).toThrow(/exclude each other/);
    expect(() => store.set({ 'receiver.port': 70000 })).toThrow(
      expect.objectContaining({ code: 'invalid-setting' }),
    );
  });

  it('saves to the user file (mode 0600), keeps keys it does not know, and null resets to the machine default', () => {
    write(paths.defaultsFile, { 'training.backend': 'wasm' });
    store.set({ 'training.backend': 'cpu' });
    const saved = JSON.parse(readFileSync(paths.userFile, 'utf8')) as Record<string, unknown>;
    expect(saved).toEqual({ 'training.backend': 'cpu' });
    expect(statSync(paths.userFile).mode & 0o777).toBe(0o600);

    write(paths.userFile, { 'training.backend': 'cpu', 'future.key': 1 });
    store.set({ 'training.backend': null });
    expect(JSON.parse(readFileSync(paths.userFile, 'utf8'))).toEqual({ 'future.key': 1 });
    expect(store.view().settings['training.backend']).toMatchObject({
      value: 'wasm',
      source: 'machine-default',
    });
  });

  it('tells subscribers what changed', () => {
    const seen: string[][] = [];
    store.subscribe((values, changed) => seen.push([...changed, String(values['app.startAtLogin'])]));
    store.set({ 'app.startAtLogin': true });
    expect(seen).toEqual([['app.startAtLogin', 'true']]);
  });
});

describe('mistakes in the files', () => {
  it('ignores a file that is not JSON and says which file', () => {
    write(paths.defaultsFile, '{ "app.autoUpdate": tru');
    const view = store.view();
    expect(view.settings['app.autoUpdate']?.source).toBe('built-in');
    expect(view.problems).toEqual([expect.stringContaining(paths.defaultsFile)]);
    expect(view.problems[0]).toMatch(/not valid JSON/);
  });

  it('reports unknown keys and bad values without their values, and keeps the rest of the file', () => {
    write(paths.defaultsFile, {
      'hub.url': 'ftp://secret-host.test',
      'app.colour': 'blue',
      'app.notifications': false,
    });
    const view = store.view();
    expect(view.settings['app.notifications']?.value).toBe(false);
    expect(view.settings['hub.url']?.source).toBe('built-in');
    expect(view.problems).toHaveLength(2);
    expect(view.problems.join(' ')).toContain('app.colour');
    expect(view.problems.join(' ')).not.toContain('secret-host');
  });

  it('keeps a key with a bad value in the locked file locked, at its built-in value', () => {
    write(paths.lockedFile, { 'app.autoUpdate': 'yes please' });
    write(paths.userFile, { 'app.autoUpdate': true });
    const entry = store.view().settings['app.autoUpdate'];
    expect(entry).toMatchObject({ value: false, source: 'locked', locked: true });
    expect(() => store.set({ 'app.autoUpdate': true })).toThrow(
      expect.objectContaining({ code: 'setting-locked' }),
    );
  });
});

describe('secrets and preset setup', () => {
  const token = 'rfe1.eyJodWJVcmwiOiJodHRwczovL2h1Yi50ZXN0In0.c2lnbmF0dXJl';

  it('never puts the enrollment token in the view, only that it is set', () => {
    write(paths.defaultsFile, { 'hub.enrollmentToken': token });
    const view = store.view();
    expect(view.settings['hub.enrollmentToken']).toMatchObject({ value: null, secret: true, isSet: true });
    expect(JSON.stringify(view)).not.toContain(token);
    expect(store.values()['hub.enrollmentToken']).toBe(token);
  });

  it('is preset only when IT gives both the site name and the consent policy', () => {
    write(paths.defaultsFile, { 'site.name': 'St Mary Radiology' });
    expect(store.view().preset).toBe(false);
    expect(presetSetup(store)).toBeNull();
    // The user choosing the policy does not make it an IT preset.
    store.set({ 'site.consentPolicy': 'opt-in' });
    expect(store.view().preset).toBe(false);

    write(paths.lockedFile, { 'site.consentPolicy': 'opt-out' });
    write(paths.defaultsFile, {
      'site.name': 'St Mary Radiology',
      'site.deidOptions': ['retain-uids'],
      'receiver.port': 11112,
      'receiver.allowedCallingAeTitles': ['PACS1'],
      'hub.enrollmentToken': token,
    });
    expect(store.view().preset).toBe(true);
    expect(presetSetup(store)).toEqual({
      name: 'St Mary Radiology',
      consentPolicy: 'opt-out',
      deidOptions: ['retain-uids'],
      watchFolder: null,
      receiver: { port: 11112, aeTitle: 'RADFED', allowedCallingAeTitles: ['PACS1'] },
      enrollment: { token },
    });
  });
});

describe('machineSettingsDir', () => {
  it('follows each OS convention, and RADFED_SETTINGS_DIR replaces it', () => {
    expect(machineSettingsDir('linux', {})).toBe('/etc/radfed');
    expect(machineSettingsDir('darwin', {})).toBe('/Library/Application Support/RadFed');
    expect(machineSettingsDir('win32', { ProgramData: 'D:\\ProgramData' })).toBe('D:\\ProgramData\\RadFed');
    expect(machineSettingsDir('win32', {})).toBe('C:\\ProgramData\\RadFed');
    expect(machineSettingsDir('linux', { RADFED_SETTINGS_DIR: '/tmp/it' })).toBe('/tmp/it');
    expect(settingsFilePaths('C:\\Users\\u\\settings.json', 'win32', {}).lockedFile).toBe(
      'C:\\ProgramData\\RadFed\\locked.json',
    );
  });
});
