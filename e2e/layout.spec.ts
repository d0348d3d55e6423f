// The layout check: every page of the site's screens (fixtures/every-page.ts),
// in light and dark mode, at 1280×800 and 1024×768, on a site holding real studies. A page fails when
// anything is wider than its box or the window, a word is split over two lines, a box inside the page
// scrolls on its own, or a control keeps the browser's default look (see fixtures/layout-probe.ts). A
// screenshot of every page, scheme and size is kept in the test output.
import { expect, test } from '@playwright/test';
import { EVERY_PAGE, openEveryPageSites, showPage, type EveryPageSites } from './fixtures/every-page.ts';
import { LAYOUT_PROBE, type LayoutDefect } from './fixtures/layout-probe.ts';

const SIZES = [
  { width: 1280, height: 800 },
  { width: 1024, height: 768 },
];
const SCHEMES = ['light', 'dark'] as const;

let sites: EveryPageSites;

test.describe('layout of every page', () => {
  test.beforeAll(async ({ browser }) => {
    test.setTimeout(180_000);
    sites = await openEveryPageSites(browser);
  });
  test.afterAll(async () => {
    await sites?.close();
  });

  for (const target of EVERY_PAGE) {
    test(`${target.name}: nothing overflows and no word is split, light and dark, 1280 and 1024 wide`, async ({
      page,
    }) => {
      // Each defect once, with the schemes and sizes it shows in.
      const found = new Map<string, string[]>();
      for (const size of SIZES) {
        for (const scheme of SCHEMES) {
          await page.setViewportSize(size);
          await page.emulateMedia({ colorScheme: scheme });
          await showPage(page, sites, target);
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
