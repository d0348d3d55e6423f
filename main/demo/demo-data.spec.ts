import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { prepareDemoData } from './demo-data.ts';
import { DEMO_DEFAULTS } from './demo-options.ts';
import { SCANNER_STYLES } from './scanner-styles.ts';

const tmp = mkdtempSync(join(tmpdir(), 'radfed-demo-data-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const tiny = { ...DEMO_DEFAULTS, sites: 3, patientsPerSite: 10, imageSize: 32 };

describe('the demo data', () => {
  it('holds out test patients from every site and never labels them at the site', async () => {
    const data = await prepareDemoData(join(tmp, 'plain'), { ...tiny, consoleStyles: false });
    expect(data.sites.map((s) => s.key)).toEqual(['site-01', 'site-02', 'site-03']);
    expect(data.test.length).toBeGreaterThan(0);
    for (const site of data.sites) {
      const heldOut = new Set(
        data.test.filter((t) => t.patient.startsWith(`${site.key}-`)).map((t) => t.path),
      );
      expect(heldOut.size, site.key).toBe(data.testBySite[site.key]);
      const labelled = readFileSync(site.labelsCsv, 'utf8').trim().split('\n').length - 1;
      expect(labelled).toBe(site.labelledStudies);
      expect(labelled).toBeGreaterThan(0);
      // The site's own original files: it ingests them, but never gets their labels.
      for (const path of heldOut) expect(path.startsWith(site.studiesDir)).toBe(true);
      expect(site.scanner).not.toContain(SCANNER_STYLES[1]!.description);
    }
  });

  it('gives each hospital its console style when asked, and says which', async () => {
    const data = await prepareDemoData(join(tmp, 'styled'), { ...tiny, consoleStyles: true });
    data.sites.forEach((site, index) => {
      expect(site.scanner).toContain(SCANNER_STYLES[index]!.description);
    });
  });
});
