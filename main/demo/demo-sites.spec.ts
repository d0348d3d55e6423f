import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sitePaths } from '../site/index.ts';
import { prepareDemoData } from './demo-data.ts';
import { DEMO_DEFAULTS } from './demo-options.ts';
import { setUpDemoSite } from './demo-sites.ts';

const tmp = mkdtempSync(join(tmpdir(), 'radfed-demo-sites-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const tiny = { ...DEMO_DEFAULTS, sites: 1, patientsPerSite: 16, imageSize: 24 };

async function split(name: string, seed: number) {
  const root = join(tmp, name);
  const data = await prepareDemoData(root, { ...tiny, seed: 2024 });
  const site = await setUpDemoSite(root, 'Hospital A', data.sites[0]!, seed);
  const key = sitePaths(site.dir).key;
  return {
    mode: statSync(key).mode & 0o777,
    validation: site.validation.map((item) => item.patient).sort(),
    train: site.train.map((item) => item.patient).sort(),
  };
}

describe('demo hospitals', () => {
  it('take their site secret from the seed, so the same seed gives the same patients and split', async () => {
    const first = await split('first', 2024);
    const again = await split('again', 2024);
    const other = await split('other', 7);
    expect(first.train.length).toBeGreaterThan(0);
    expect(again).toEqual(first);
    // Another seed, another secret: other pseudonyms for the same patients.
    expect(other.train).not.toEqual(first.train);
    expect(first.mode).toBe(0o600);
  }, 60_000);
});
