import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveSiteFolder } from './site-folder.ts';

describe('resolveSiteFolder', () => {
  it('uses RADFED_SITE_DIR when it is set, made absolute', () => {
    expect(resolveSiteFolder({ RADFED_SITE_DIR: 'relative/site' }, '/home/u/.config/RadFed')).toBe(
      resolve('relative/site'),
    );
  });

  it('falls back to site/ under the user data folder when the variable is unset or blank', () => {
    expect(resolveSiteFolder({}, '/home/u/.config/RadFed')).toBe(join('/home/u/.config/RadFed', 'site'));
    expect(resolveSiteFolder({ RADFED_SITE_DIR: '  ' }, '/data')).toBe(join('/data', 'site'));
  });
});

describe('resolveSiteFolder with the site.folder setting', () => {
  it('uses the setting when the variable is unset, and the variable wins over it', () => {
    expect(resolveSiteFolder({}, '/home/u/.config/RadFed', '/srv/radfed/site')).toBe('/srv/radfed/site');
    expect(resolveSiteFolder({ RADFED_SITE_DIR: '/tmp/test-site' }, '/data', '/srv/radfed/site')).toBe(
      '/tmp/test-site',
    );
    expect(resolveSiteFolder({}, '/data', null)).toBe(join('/data', 'site'));
  });
});
