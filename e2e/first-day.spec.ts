// The first day at a new site, in real Chromium against a real site agent and hub:
// a checklist ticked from the site's real state with the next step as a button, a plain warning when an
// opt-in site would (and then did) import everything without consent, and Browse for a folder in the
// web UI (the agent's folder browser: folder names only).
import { basename, dirname } from 'node:path';
import { expect, test, type Journey } from './fixtures/site-journey.ts';
import { DashboardPage } from './pages/dashboard-page.ts';
import { StudiesPage } from './pages/studies-page.ts';

test.use({ ignoreHTTPSErrors: true });

async function setUpSite(journey: Journey, policy: 'opt-in' | 'opt-out') {
  await journey.session.finish({
    siteName: 'First Day Hospital',
    hub: { token: await journey.enrollmentToken() },
    studies: { kind: 'folder' },
    consentPolicy: policy,
    deidOptions: [],
  });
}

test('opt-in: the checklist asks for consent first, and says so when an import left everything out', async ({
  page,
  journey,
}) => {
  test.setTimeout(180_000);
  await setUpSite(journey, 'opt-in');
  const hospital = await journey.writeStudies(4);
  const dashboard = new DashboardPage(page);
  await dashboard.open(journey.ui.url);

  const steps = dashboard.checklist.getByRole('list', { name: 'First steps' });
  await expect(steps.getByRole('listitem')).toHaveText([
    /Record consent \(to do\)/,
    /Import studies \(to do\)/,
    /Define what to train on and import labels \(to do\)/,
    /Approve a task from the hub \(to do\)/,
  ]);
  await expect(dashboard.checklist.getByTestId('next-step')).toHaveText('Record consent');
  await expect(dashboard.checklist.getByTestId('consent-import-warning')).toHaveText(
    /^This site is opt-in and no consent is recorded yet: an import now would leave every study out\./,
  );
  await page.screenshot({ path: test.info().outputPath('first-day-checklist.png'), fullPage: true });

  await test.step('Browse picks the folder in the agent\u2019s folder browser', async () => {
    const studies = new StudiesPage(page);
    await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Studies' }).click();
    await studies.heading.waitFor();
    // The same warning beside the import, before it runs.
    await expect(page.getByTestId('import-consent-warning')).toHaveText(
      /^This site is opt-in and no consent/,
    );
    await studies.folder.fill(dirname(hospital.folder));
    await page.getByRole('button', { name: 'Browse…' }).click();
    const picker = page.getByRole('dialog', { name: 'Choose a folder' });
    await expect(picker.getByTestId('folder-path')).toHaveText(dirname(hospital.folder));
    // Folders only: the labels file beside them is not listed.
    await expect(picker.getByRole('list', { name: 'Folders' })).not.toContainText('labels.csv');
    await picker.getByRole('button', { name: basename(hospital.folder), exact: true }).click();
    await expect(picker.getByTestId('folder-path')).toHaveText(hospital.folder);
    await page.screenshot({ path: test.info().outputPath('folder-browser.png') });
    await picker.getByRole('button', { name: 'Use this folder' }).click();
    await expect(studies.folder).toHaveValue(hospital.folder);
    await studies.importButton.click();
    await expect(studies.headline).toHaveText(/^Import finished/, { timeout: 120_000 });
    await expect(page.getByTestId('import-consent-warning')).toHaveText(
      /^The last import left out .* \(everything\)/,
    );
  });

  await test.step('after the import, the dashboard says everything was left out, and why', async () => {
    await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Dashboard' }).click();
    await expect(dashboard.checklist.getByTestId('consent-import-warning')).toHaveText(
      /^The last import left out \d+ files? of 4 patients \(everything\) because no consent is recorded for them\. Record consent on the Consent page, then import the same folder again\.$/,
    );
    await expect(dashboard.checklist.getByTestId('next-step')).toHaveAttribute('href', '#/consent');
    await page.screenshot({ path: test.info().outputPath('first-day-after-import.png'), fullPage: true });
  });
});

test('opt-out: each step ticks from the real state, and the next action moves on', async ({
  page,
  journey,
}) => {
  test.setTimeout(180_000);
  await setUpSite(journey, 'opt-out');
  const hospital = await journey.writeStudies(4);
  const dashboard = new DashboardPage(page);
  await dashboard.open(journey.ui.url);
  await expect(dashboard.checklist.getByTestId('next-step')).toHaveText('Import studies');
  const steps = dashboard.checklist.getByRole('list', { name: 'First steps' });
  await expect(steps.getByRole('listitem').nth(1)).toHaveText(/Record consent \(done\)/);

  await dashboard.checklist.getByTestId('next-step').click();
  const studies = new StudiesPage(page);
  await studies.heading.waitFor();
  await studies.importFolder(hospital.folder);
  await expect(studies.headline).toHaveText(/^Import finished/, { timeout: 120_000 });

  await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Dashboard' }).click();
  await expect(steps.getByRole('listitem').first()).toHaveText(/Import studies \(done\)/);
  await expect(dashboard.checklist.getByTestId('next-step')).toHaveText('Add labels');
  await expect(dashboard.checklist.getByTestId('consent-import-warning')).toHaveCount(0);
});
