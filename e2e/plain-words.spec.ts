// Plain words on every page: the text a person sees, outside any "Technical
// detail" disclosure (<details>), carries no developer jargon: system error codes (ENOENT), file paths,
// DICOM tag numbers, key-exchange names (X25519), exponent notation (3.0e+3), GPU library names, stack
// frames (renderer/src/lib/jargon.ts). Pages come from fixtures/every-page.ts, plus the situations
// where errors reach the screen.
import type { Page } from '@playwright/test';
import { expect, test } from '@playwright/test';
import { JARGON_PATTERNS, type JargonFinding } from '../renderer/src/lib/jargon.ts';
import {
  EVERY_PAGE,
  openEveryPageSites,
  showPage,
  type EveryPageSites,
  type SitePage,
} from './fixtures/every-page.ts';
import { CT_SMALL, patientIdOf } from './fixtures/records-site.ts';

/** The page's visible text outside <details>, one line per element, checked against the patterns. */
const JARGON_PROBE = `(() => {
  const patterns = ${JSON.stringify(JARGON_PATTERNS)};
  const lines = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    if (!parent || parent.closest('details, script, style, [hidden]')) continue;
    if (!parent.checkVisibility({ checkOpacity: true, checkVisibilityCSS: true })) continue;
    const text = node.textContent.trim();
    if (text) lines.push(text);
  }
  const text = lines.join('\\n');
  const found = [];
  for (const { name, source } of patterns) {
    const match = new RegExp(source).exec(text);
    if (match) {
      const start = Math.max(0, match.index - 30);
      const excerpt = text.slice(start, match.index + match[0].length + 30).trim();
      found.push({ name, excerpt: excerpt.replace(/\\s*\\n\\s*/g, ' / ') });
    }
  }
  return found;
})()`;

/** Where the agent's own sentences reach the screen (an error, a withdrawal's consequences). */
const SITUATIONS: { name: string; page: string; act: (page: Page) => Promise<void> }[] = [
  {
    name: 'importing a folder that does not exist',
    page: 'studies',
    act: async (page) => {
      await page.getByLabel('Folder on the agent’s computer').fill('/tmp/radfed no such folder/studies');
      await page.getByRole('button', { name: /^Import/ }).click();
      await page.getByRole('alert').first().waitFor();
    },
  },
  {
    name: 'reviewing a withdrawal',
    page: 'consent',
    act: async (page) => {
      await page.getByLabel(/Patient ID/).fill(patientIdOf(CT_SMALL));
      await page.getByRole('button', { name: 'Review withdrawal…' }).click();
      await page.getByRole('dialog').waitFor();
    },
  },
];

let sites: EveryPageSites;

async function jargonOn(page: Page): Promise<string[]> {
  const found = await page.evaluate<JargonFinding[]>(JARGON_PROBE);
  return found.map((f) => `${f.name}: "${f.excerpt}"`);
}

test.describe('plain words on every page', () => {
  test.beforeAll(async ({ browser }) => {
    test.setTimeout(180_000);
    sites = await openEveryPageSites(browser);
  });
  test.afterAll(async () => {
    await sites?.close();
  });

  for (const target of EVERY_PAGE) {
    test(`${target.name}: no developer jargon outside a technical disclosure`, async ({ page }) => {
      await showPage(page, sites, target);
      expect(await jargonOn(page), `jargon on ${target.name}`).toEqual([]);
    });
  }

  for (const situation of SITUATIONS) {
    test(`${situation.page}, ${situation.name}: what the screen says is in plain words`, async ({ page }) => {
      const target = EVERY_PAGE.find((p: SitePage) => p.name === situation.page)!;
      await showPage(page, sites, target);
      await situation.act(page);
      expect(await jargonOn(page), `jargon after ${situation.name}`).toEqual([]);
    });
  }
});
