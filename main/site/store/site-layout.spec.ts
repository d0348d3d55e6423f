import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AuditLog } from '../audit/index.ts';
import { SiteSecretError } from '../secret/index.ts';
import { initSite, openSite, SiteError } from './index.ts';

const newDir = () => join(mkdtempSync(join(tmpdir(), 'radfed-site-')), 'site');
const mode = (path: string) => statSync(path).mode & 0o777;

describe('site init and open', () => {
  it('creates the layout: config, private key, database, research store and private quarantine', () => {
    const dir = newDir();
    const { config } = initSite(dir, { name: 'St Mary Radiology', deidOptions: ['retain-uids'] });
    expect(readdirSync(dir).sort()).toEqual(['keys', 'quarantine', 'research', 'site.db', 'site.json']);
    expect(JSON.parse(readFileSync(join(dir, 'site.json'), 'utf8'))).toEqual({
      schemaVersion: 1,
      name: 'St Mary Radiology',
      deidOptions: ['retain-uids'],
      consentPolicy: 'not-set',
      createdAt: expect.any(String),
    });
    expect(config.name).toBe('St Mary Radiology');
    expect(mode(join(dir, 'keys'))).toBe(0o700);
    expect(mode(join(dir, 'keys', 'site.key'))).toBe(0o600);
    expect(statSync(join(dir, 'keys', 'site.key')).size).toBe(32);
    expect(mode(join(dir, 'quarantine'))).toBe(0o700);
    expect(statSync(join(dir, 'research')).isDirectory()).toBe(true);
  });

  it('writes a verified site.created audit entry', () => {
    const dir = newDir();
    initSite(dir, { name: 'Site A', deidOptions: [] });
    const site = openSite(dir);
    const log = new AuditLog(site.database);
    expect(log.list().map((e) => [e.type, e.detail.consentPolicy])).toEqual([['site.created', 'not-set']]);
    expect(log.verify()).toEqual({ ok: true, entries: 1 });
    site.database.close();
  });

  it('refuses to initialise over an existing site and leaves it untouched', () => {
    const dir = newDir();
    initSite(dir, { name: 'Site A', deidOptions: [] });
    const key = readFileSync(join(dir, 'keys', 'site.key'));
    const config = readFileSync(join(dir, 'site.json'), 'utf8');
    expect(() => initSite(dir, { name: 'Site B', deidOptions: [] })).toThrow(/already exists/);
    expect(readFileSync(join(dir, 'keys', 'site.key')).equals(key)).toBe(true);
    expect(readFileSync(join(dir, 'site.json'), 'utf8')).toBe(config);
  });

  it('refuses a folder that holds other files', () => {
    const dir = newDir();
    mkdirSync(dir);
    writeFileSync(join(dir, 'notes.txt'), 'mine');
    expect(() => initSite(dir, { name: 'Site A', deidOptions: [] })).toThrow(
      expect.objectContaining({ code: 'folder-not-empty' }),
    );
    expect(readdirSync(dir)).toEqual(['notes.txt']);
  });

  it('initialises again over an init that was cut off while writing site.json (its temporary file)', () => {
    const dir = newDir();
    mkdirSync(dir);
    writeFileSync(join(dir, '.site.json.4242-0-0123456789ab.tmp'), '{"half');
    expect(() => initSite(dir, { name: 'Site A', deidOptions: [] })).not.toThrow();
    expect(existsSync(join(dir, 'site.json'))).toBe(true);
  });

  it('accepts an empty folder the operator made beforehand', () => {
    const dir = newDir();
    mkdirSync(dir);
    initSite(dir, { name: 'Site A', deidOptions: [] });
    openSite(dir).database.close();
  });

  it('rejects a blank or multi-line site name', () => {
    expect(() => initSite(newDir(), { name: '  ', deidOptions: [] })).toThrow(SiteError);
    expect(() => initSite(newDir(), { name: 'a\nb', deidOptions: [] })).toThrow(/one line/);
  });

  it('refuses unknown or conflicting de-identification options before creating anything', () => {
    const dir = newDir();
    expect(() => initSite(dir, { name: 'Site A', deidOptions: ['keep-names' as never] })).toThrow(/Unknown/);
    expect(() =>
      initSite(dir, {
        name: 'Site A',
        deidOptions: ['retain-long-full-dates', 'retain-long-modified-dates'],
      }),
    ).toThrow(/exclude each other/);
    expect(existsSync(dir)).toBe(false);
  });

  it('says how to create a site when the folder is not one', () => {
    const dir = newDir();
    mkdirSync(dir);
    expect(() => openSite(dir)).toThrow(expect.objectContaining({ code: 'not-a-site' }));
    expect(() => openSite(dir)).toThrow(/radfed site init --dir .* first/);
  });

  it('names a damaged configuration instead of guessing', () => {
    const dir = newDir();
    initSite(dir, { name: 'Site A', deidOptions: [] });
    writeFileSync(join(dir, 'site.json'), '{"schemaVersion":1,"name":""}');
    expect(() => openSite(dir)).toThrow(expect.objectContaining({ code: 'bad-config' }));
    writeFileSync(join(dir, 'site.json'), '{"schemaVersion":7}');
    expect(() => openSite(dir)).toThrow(expect.objectContaining({ code: 'newer-version' }));
  });

  it('does not create a new key for a site whose key is missing (that would change every pseudonym)', () => {
    const dir = newDir();
    initSite(dir, { name: 'Site A', deidOptions: [] });
    rmSync(join(dir, 'keys', 'site.key'));
    expect(() => openSite(dir)).toThrow(SiteSecretError);
    expect(readdirSync(join(dir, 'keys'))).toEqual([]);
  });
});
