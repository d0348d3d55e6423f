import { DashboardPage } from './pages/dashboard-page.ts';
import { expect, SAMPLE_DICOM, test } from './fixtures/site-web-ui.ts';

test.describe('dashboard in the local web UI', () => {
  test('shows the counts of a real site in words after ingesting pydicom files', async ({ page, site }) => {
    await site.ingest({ copy: SAMPLE_DICOM, text: { 'notes.txt': 'not a DICOM file' } });
    const cspViolations: string[] = [];
    page.on('console', (message) => {
      if (message.text().includes('Content Security Policy')) cspViolations.push(message.text());
    });

    const dashboard = new DashboardPage(page);
    await dashboard.open(site.ui.url);

    await expect(dashboard.summary).toHaveText(
      '2 patients, 2 studies, 2 images; none held for review; 1 file could not be read.',
    );
    await expect(dashboard.count('Patients')).toHaveText('2');
    await expect(dashboard.count('Images')).toHaveText('2');
    await expect(dashboard.count('Could not be read')).toHaveText('1');
    await expect(dashboard.fact('Name')).toHaveText('E2E General Hospital');
    await expect(dashboard.fact('Last import')).not.toHaveText('Never');
    // The page works under the strict CSP header: no inline script or style was needed.
    expect(cspViolations).toEqual([]);
    await page.screenshot({ path: test.info().outputPath('dashboard.png'), fullPage: true });
  });

  test('Refresh shows files ingested after the page was opened, from the keyboard', async ({
    page,
    site,
  }) => {
    const dashboard = new DashboardPage(page);
    await dashboard.open(site.ui.url);
    await expect(dashboard.summary).toHaveText('No studies imported yet.');

    await site.ingest({ text: { 'a.txt': 'not DICOM', 'b.txt': 'not DICOM either' } });
    await dashboard.refreshButton.focus();
    await page.keyboard.press('Enter');

    await expect(dashboard.summary).toHaveText(
      '0 patients, 0 studies, 0 images; none held for review; 2 files could not be read.',
    );
  });

  test('the first Tab reaches the skip link, and it moves focus to the content', async ({ page, site }) => {
    const dashboard = new DashboardPage(page);
    await dashboard.open(site.ui.url);
    await page.keyboard.press('Tab');
    const skip = page.getByRole('link', { name: 'Skip to content' });
    await expect(skip).toBeFocused();
    await page.keyboard.press('Enter');
    await page.keyboard.press('Tab');
    await expect(dashboard.refreshButton).toBeFocused();
  });

  test('follows the system colour scheme: dark background in dark mode, light in light', async ({
    page,
    site,
  }) => {
    const dashboard = new DashboardPage(page);
    // A string expression: the e2e files are type-checked for Node, without the DOM library.
    const background = () => page.evaluate<string>('getComputedStyle(document.body).backgroundColor');

    await page.emulateMedia({ colorScheme: 'light' });
    await dashboard.open(site.ui.url);
    const light = await background();
    await page.emulateMedia({ colorScheme: 'dark' });
    const dark = await background();

    expect(luminance(light)).toBeGreaterThan(0.8);
    expect(luminance(dark)).toBeLessThan(0.2);
  });

  test('without the token, the page says the access token is missing or wrong', async ({ page, site }) => {
    const address = new URL(site.ui.url);
    address.search = '';
    const response = await page.goto(address.toString());

    expect(response?.status()).toBe(401);
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Access token missing or wrong');
    await expect(page.getByText('including the part after')).toBeVisible();
  });
});

/** Relative luminance (0 black … 1 white) of a CSS rgb() colour. */
function luminance(cssColour: string): number {
  const [r = 0, g = 0, b = 0] = (cssColour.match(/\d+(\.\d+)?/g) ?? []).map(Number);
  return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255;
}
