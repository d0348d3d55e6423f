// The layout check (issue 15, defect 14): every page of the site's screens, in light and dark mode, at
// 1280×800 and 1024×768, with a site that holds real studies (pydicom files and synthetic radiographs,
// one held for burned-in text, a consent export imported). A page fails when anything is wider than its
// box or the window, a word is split over two lines, a box inside the page scrolls on its own, or a
// control keeps the browser's default look (see fixtures/layout-probe.ts). A screenshot of every page,
// scheme and size is kept in the test output.
//
// To add a page: one entry in LAYOUT_PAGES (its route, the heading that says it has loaded, and which
// site shows it).
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { settingsFilePaths, SettingsStore } from '../main/app/settings/index.ts';
import { synthesizeStudies } from '../main/site/synth/index.ts';
import { SiteSession, startSiteWebUi, type SiteWebUi } from '../main/site/web-ui/index.ts';
import { CT_SMALL, MR_SMALL, patientIdOf, SC_SMALL } from './fixtures/records-site.ts';
import { e2eRendererDir } from './fixtures/renderer-dir.ts';
import { LAYOUT_PROBE, type LayoutDefect } from './fixtures/layout-probe.ts';

interface LayoutPage {
  /** Names the screenshot and the failure. */
  name: string;
  /** The hash route, e.g. 'studies' for #/studies. */
  route: string;
  /** The level-1 heading shown once the page is there. */
  heading: string | RegExp;
  /** 'records': the set-up site with studies; 'new': an empty folder, where the wizard opens. */
  site: 'records' | 'new';
  /** Anything to do on the page before it is measured (open a panel, show a header). */
  prepare?: (page: Page) => Promise<void>;
}

export const LAYOUT_PAGES: LayoutPage[] = [
  { name: 'dashboard', route: 'dashboard', heading: 'Dashboard', site: 'records' },
  {
    name: 'studies',
    route: 'studies',
    heading: 'Studies',
    site: 'records',
    prepare: async (page) => {
      await page.getByRole('button', { name: 'Show header of held file 1' }).click();
      await page.getByTestId('header-sources').waitFor();
    },
  },
  { name: 'consent', route: 'consent', heading: 'Consent', site: 'records' },
  { name: 'training-data', route: 'training-data', heading: 'Training data', site: 'records' },
  { name: 'training', route: 'training', heading: 'Training', site: 'records' },
  { name: 'audit', route: 'audit', heading: 'Audit', site: 'records' },
  { name: 'settings', route: 'settings', heading: 'Settings', site: 'records' },
  { name: 'wizard', route: 'dashboard', heading: 'Set up this RadFed site', site: 'new' },
];

const SIZES = [
  { width: 1280, height: 800 },
  { width: 1024, height: 768 },
];
const SCHEMES = ['light', 'dark'] as const;

const sites: Partial<Record<LayoutPage['site'], { session: SiteSession; ui: SiteWebUi }>> = {};
let root = '';

test.describe('layout of every page', () => {
  test.beforeAll(async ({ browser }) => {
    test.setTimeout(180_000);
    root = mkdtempSync(join(tmpdir(), 'radfed-e2e-layout-'));
    const serve = async (name: LayoutPage['site'], session: SiteSession) => {
      const ui = await startSiteWebUi({
        rendererDir: e2eRendererDir(),
        agent: session.agentPort(),
        // As `radfed site ui` does: the user settings file in the site's folder.
        settings: new SettingsStore(settingsFilePaths(join(root, `${name}-ui-settings.json`))),
        setup: session,
        federation: session.federation,
      });
      sites[name] = { session, ui };
    };
    const records = await SiteSession.open(join(root, 'records'), {
      autoStartFederation: false,
      preset: {
        siteName: "St Mary's Radiology – Department of Diagnostic Imaging",
        hub: null,
        studies: { kind: 'folder' },
        consentPolicy: 'opt-out',
        deidOptions: [],
      },
    });
    await serve('records', records);
    await serve('new', await SiteSession.open(join(root, 'new'), { autoStartFederation: false }));

    // Real studies: pydicom's CT and MR, a secondary capture held for burned-in text, a text file that
    // is not DICOM, and a hospital's export of synthetic radiographs.
    const inbox = join(root, 'DOE^JANE 7654321 export');
    mkdirSync(inbox, { recursive: true });
    for (const file of [CT_SMALL, MR_SMALL, SC_SMALL]) copyFileSync(file, join(inbox, basename(file)));
    await records.agent.ingest(inbox);
    const synth = await synthesizeStudies({
      outDir: join(root, 'synth'),
      sites: 1,
      patients: 6,
      seed: 11,
      radiographSize: 32,
      modalities: ['RADIOGRAPH'],
    });
    await records.agent.ingest(join(root, 'synth', 'site-01'));

    // A consent export, imported through the Consent page as a person would.
    const page = await browser.newPage();
    await page.goto(`${sites.records!.ui.url}#/consent`);
    await page.getByLabel(/Consent export/).setInputFiles({
      name: 'consent-export.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(
        `patient_id,status,date\n${patientIdOf(CT_SMALL)},granted,2024-01-10\nQX-440012,refused,2024-02-01\n` +
          consentLines(synth.consent['site-01']),
      ),
    });
    await page
      .getByRole('region', { name: 'Import a consent export' })
      .getByRole('button', { name: /^Import/ })
      .click();
    await page.getByTestId('consent-import-result').waitFor();
    await page.close();
  });

  test.afterAll(async () => {
    for (const site of Object.values(sites)) {
      await site.ui.close();
      await site.session.close();
    }
    if (root) rmSync(root, { recursive: true, force: true });
  });

  for (const target of LAYOUT_PAGES) {
    test(`${target.name}: nothing overflows and no word is split, light and dark, 1280 and 1024 wide`, async ({
      page,
    }) => {
      // Each defect once, with the schemes and sizes it shows in.
      const found = new Map<string, string[]>();
      for (const size of SIZES) {
        for (const scheme of SCHEMES) {
          await page.setViewportSize(size);
          await page.emulateMedia({ colorScheme: scheme });
          await page.goto(`${sites[target.site]!.ui.url}#/${target.route}`);
          await page.getByRole('heading', { level: 1, name: target.heading }).waitFor();
          await target.prepare?.(page);
          // Let pending answers from the agent land before measuring.
          await page.waitForLoadState('networkidle');
          // From the top, so the side bar sits where a person first sees it.
          await page.evaluate('window.scrollTo(0, 0)');
          const shot = `${target.name}-${size.width}x${size.height}-${scheme}.png`;
          await page.screenshot({ path: test.info().outputPath(shot), fullPage: true });
          const defects = await page.evaluate<LayoutDefect[]>(LAYOUT_PROBE);
          for (const d of defects) {
            const key = `${d.kind} at ${d.where}: ${d.detail}`;
            found.set(key, [...(found.get(key) ?? []), `${size.width}x${size.height} ${scheme}`]);
          }
        }
      }
      const report = [...found].map(([defect, where]) => `${defect} (${where.join(', ')})`);
      expect(report, `layout defects on ${target.name}`).toEqual([]);
    });
  }
});

/** The data lines of a synthetic consent export (its header dropped). */
function consentLines(path: string | undefined): string {
  if (!path) return '';
  const lines = readFileSync(path, 'utf8').trimEnd().split('\n').slice(1);
  return lines.length ? `${lines.join('\n')}\n` : '';
}
