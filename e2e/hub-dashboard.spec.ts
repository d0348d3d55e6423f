// The coordinator's dashboard in Chromium, served by a real hub over HTTPS after two real rounds with
// two enrolled sites: sign-in, every page (screenshots kept, light and dark), a token made from the UI,
// the charts drawn under the strict CSP, a model download, keyboard use and sign-out.
import { expect, test } from '@playwright/test';
import {
  COORDINATOR,
  COORDINATOR_PASSWORD,
  makeFederatedHub,
  SITE_NAMES,
  type FederatedHub,
} from '../hub/dashboard/testing/federated-hub.ts';
import { HubDashboardPage } from './pages/hub-dashboard-page.ts';

// The hub's certificate comes from its own CA, which this browser does not know.
test.use({ ignoreHTTPSErrors: true });

let fed: FederatedHub;
test.beforeAll(async () => {
  fed = await makeFederatedHub();
});
test.afterAll(async () => {
  await fed?.cleanup();
});

test.describe('hub dashboard', () => {
  test('a coordinator signs in and sees sites, tokens, tasks, rounds, charts and models', async ({
    page,
  }) => {
    const cspViolations: string[] = [];
    page.on('console', (message) => {
      if (message.text().includes('Content Security Policy')) cspViolations.push(message.text());
    });
    const shot = (name: string) => page.screenshot({ path: test.info().outputPath(name), fullPage: true });
    const dashboard = new HubDashboardPage(page);
    const base = fed.testHub.hub.url;

    await page.goto(`${base}/dashboard/`);
    await expect(page).toHaveURL(/\/dashboard\/login$/);
    await shot('hub-login.png');
    await dashboard.signIn(base, COORDINATOR, 'not the password');
    await expect(page.getByRole('alert')).toHaveText('The name or the password is wrong.');
    await dashboard.signIn(base, COORDINATOR, COORDINATOR_PASSWORD);

    await expect(dashboard.heading).toHaveText('Overview');
    await expect(page.getByRole('list', { name: 'Counts' })).toContainText(/2 of 2\s*sites online/);
    await expect(dashboard.nav('Overview')).toHaveAttribute('aria-current', 'page');
    await shot('hub-overview.png');

    await dashboard.nav('Sites').click();
    await expect(dashboard.heading).toHaveText('Sites');
    for (const name of SITE_NAMES) await expect(dashboard.row('Sites', name)).toContainText('online');
    await shot('hub-sites.png');

    await dashboard.nav('Enrollment tokens').click();
    await expect(dashboard.row('Enrollment tokens', /tok_/).first()).toBeVisible();
    await page.getByLabel(/Site name/).fill('Cypress Hospital');
    await page.getByLabel('Valid for').selectOption('7d');
    await page.getByRole('button', { name: 'Make token' }).click();
    await expect(page.getByRole('textbox', { name: 'Enrollment token' })).toHaveValue(/^rft1\./);
    await expect(page.getByRole('status').first()).toContainText('Cypress Hospital');
    await shot('hub-tokens.png');

    await dashboard.nav('Tasks').click();
    await expect(dashboard.row('Tasks', /Pneumonia screening/)).toContainText('2 of 3');
    await shot('hub-tasks.png');
    await page.getByRole('link', { name: 'Pneumonia screening' }).click();
    await expect(dashboard.heading).toHaveText('Task: Pneumonia screening');
    await expect(dashboard.row('Rounds', '3')).toContainText('collecting');
    await expect(dashboard.row('Rounds', '2')).toContainText('published');
    await expect(dashboard.row('Participation', '1').getByRole('cell')).toHaveText([
      '12 examples',
      '30 examples',
    ]);
    await expect(page.getByRole('region', { name: 'Privacy' })).toContainText(
      /Differential privacy\s*not set/,
    );
    // uPlot drew both charts (a canvas each, with a legend naming the series) under the policy.
    await expect(page.locator('#metrics-chart canvas')).toHaveCount(1);
    await expect(page.locator('#participation-chart .u-legend')).toContainText(SITE_NAMES[0]);
    await expect(page.locator('#metrics-chart .u-legend')).toContainText('Accuracy');
    await shot('hub-task.png');

    const download = page.waitForEvent('download');
    await page.getByRole('link', { name: 'TF.js model, version 2' }).click();
    expect((await download).suggestedFilename()).toBe('Pneumonia-screening-v2.tar');

    await page.emulateMedia({ colorScheme: 'dark' });
    await page.reload();
    const background = await page.evaluate<string>('getComputedStyle(document.body).backgroundColor');
    expect(background).toBe('rgb(15, 20, 25)');
    await shot('hub-task-dark.png');
    await dashboard.nav('Overview').click();
    await shot('hub-overview-dark.png');

    expect(cspViolations).toEqual([]);
  });

  test('works from the keyboard: skip link first, then the navigation; sign-out ends the session', async ({
    page,
  }) => {
    const dashboard = new HubDashboardPage(page);
    const base = fed.testHub.hub.url;
    await dashboard.signIn(base, COORDINATOR, COORDINATOR_PASSWORD);
    await expect(dashboard.heading).toHaveText('Overview');
    await page.keyboard.press('Tab');
    await expect(page.getByRole('link', { name: 'Skip to content' })).toBeFocused();
    await page.keyboard.press('Tab');
    await expect(dashboard.nav('Overview')).toBeFocused();
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await expect(dashboard.heading).toHaveText('Sites');

    await page.getByRole('button', { name: 'Sign out' }).click();
    await expect(page.getByRole('status')).toHaveText('You are signed out.');
    await page.goto(`${base}/dashboard/sites`);
    await expect(page).toHaveURL(/\/dashboard\/login$/);
  });
});
