// The side navigation: every page's link in one column beside the page, all of
// it in view at 1024×768, reached from the keyboard right after the skip link, and saying which page
// is open.
import { expect, test } from './fixtures/records-site.ts';

const LINKS = [
  'Dashboard',
  'Studies',
  'Review',
  'Consent',
  'Training data',
  'Training',
  'Swarm',
  'Audit',
  'Settings',
];

test.describe('side navigation', () => {
  test('fits a 1024×768 window in one column beside the page', async ({ page, records }) => {
    await page.setViewportSize({ width: 1024, height: 768 });
    await page.goto(records.pageUrl('studies'));
    const nav = page.getByRole('navigation', { name: 'Pages' });
    const main = page.locator('main');
    await expect(nav.getByRole('link', { name: 'Studies', exact: true })).toBeVisible();
    const mainBox = (await main.boundingBox())!;
    let previousBottom = 0;
    for (const name of LINKS) {
      const box = (await nav.getByRole('link', { name, exact: true }).boundingBox())!;
      // One below the other, all inside the window, all left of the page.
      expect(box.y, `${name} is below the link before it`).toBeGreaterThanOrEqual(previousBottom - 1);
      expect(box.y + box.height, `${name} is in view`).toBeLessThanOrEqual(768);
      expect(box.x + box.width, `${name} is beside the page`).toBeLessThanOrEqual(mainBox.x + 1);
      previousBottom = box.y + box.height;
    }
  });

  test('is reached from the keyboard after the skip link, and marks the open page', async ({
    page,
    records,
  }) => {
    await page.goto(records.pageUrl('consent'));
    await page.getByRole('heading', { level: 1, name: 'Consent' }).waitFor();
    const nav = page.getByRole('navigation', { name: 'Pages' });
    await page.keyboard.press('Tab');
    await expect(page.getByRole('link', { name: 'Skip to content' })).toBeFocused();
    for (const name of LINKS) {
      await page.keyboard.press('Tab');
      await expect(nav.getByRole('link', { name, exact: true })).toBeFocused();
    }
    await expect(nav.getByRole('link', { name: 'Consent', exact: true })).toHaveAttribute(
      'aria-current',
      'page',
    );

    // Back to Audit with Shift+Tab, and Enter opens it.
    await page.keyboard.press('Shift+Tab');
    await expect(nav.getByRole('link', { name: 'Audit', exact: true })).toBeFocused();
    await page.keyboard.press('Enter');
    await expect(page.getByRole('heading', { level: 1, name: 'Audit log' })).toBeVisible();
    await expect(nav.getByRole('link', { name: 'Audit', exact: true })).toHaveAttribute(
      'aria-current',
      'page',
    );
    await expect(nav.getByRole('link', { name: 'Consent', exact: true })).not.toHaveAttribute('aria-current');
  });
});
