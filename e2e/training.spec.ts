// Training data, approval, model quality and the site's status, in real Chromium against a real site
// agent and a real hub on loopback: the task form answered beside each field, model quality explained,
// one status everywhere, approval with a confirmation, and withdrawal.
import { openSite } from '../main/site/store/index.ts';
import { AuditLog } from '../main/site/audit/index.ts';
import { expect, test, type Journey } from './fixtures/site-journey.ts';
import { DashboardPage } from './pages/dashboard-page.ts';
import { StudiesPage } from './pages/studies-page.ts';
import { TrainingDataPage } from './pages/training-data-page.ts';
import { TrainingPage } from './pages/training-page.ts';

test.use({ ignoreHTTPSErrors: true });

/** The wizard's work without its screens (e2e/journey.spec.ts drives them): an enrolled site. */
async function setUpSite(
  journey: Journey,
  options: { enroll?: boolean; policy?: 'opt-in' | 'opt-out' } = {},
) {
  await journey.session.finish({
    siteName: 'Training Spec Hospital',
    hub: options.enroll === false ? null : { token: await journey.enrollmentToken() },
    studies: { kind: 'folder' },
    consentPolicy: options.policy ?? 'opt-out',
    deidOptions: [],
  });
}

const auditTypes = (journey: Journey, type: string) => {
  const site = openSite(journey.siteDir);
  try {
    return new AuditLog(site.database).list({ type }).map((entry) => entry.detail);
  } finally {
    site.database.close();
  }
};

test('an empty task form is answered beside each field in plain words (defect 5)', async ({
  page,
  journey,
}) => {
  await setUpSite(journey);
  await page.goto(journey.ui.url);
  const data = new TrainingDataPage(page);
  await data.open();
  await data.form.getByRole('button', { name: 'Save the task' }).click();
  await expect(data.form.getByRole('alert')).toHaveText(
    'The task was not saved: see the note beside each field to change.',
  );
  await expect(data.fieldProblem('Task ID')).toHaveAttribute('aria-invalid', 'true');
  await expect(data.fieldProblem('Task ID')).toHaveAccessibleDescription(/Give the task a short ID/);
  await expect(data.fieldProblem('Task name')).toHaveAccessibleDescription(/Give the task a name/);
  await expect(data.fieldProblem('Labels, in class order')).toHaveAccessibleDescription(
    /Give at least two labels/,
  );
  // Focus goes to the first field to change.
  await expect(data.fieldProblem('Task ID')).toBeFocused();
  const text = (await page.locator('main').textContent()) ?? '';
  expect(text).not.toMatch(/fault in the screen|restart RadFed|filters\.|README|\.ts\b|task\.id/);
  await page.screenshot({ path: test.info().outputPath('task-form-errors.png'), fullPage: true });
});

test('a waiting hub task: badge, first on the page, set up from it, confirm, approve and withdraw', async ({
  page,
  journey,
}) => {
  await setUpSite(journey);
  const name = 'Nodule screening (e2e)';
  await journey.createHubTask({ name });
  await page.goto(journey.ui.url);
  // The site's default task trains on other labels: the one set up from the hub task must still be used.
  const data = new TrainingDataPage(page);
  await data.open();
  await data.defineTask({ id: 'fracture', name: 'Fracture', labels: 'no fracture, fracture' });
  await expect(page.getByTestId('task-saved')).toBeVisible();
  const training = new TrainingPage(page);
  await expect(training.badge).toHaveText(/^1/);

  await training.open();
  // The waiting task is the first thing under the heading, not below progress and logs.
  const first = page.locator('main h2').first();
  await expect(first).toHaveText('Waiting for your decision');
  const card = training.waiting.getByRole('article', { name });
  await expect(card.getByTestId('task-problem')).toContainText(
    'this site has no task with the labels normal, nodule',
  );
  await expect(card).not.toContainText('radfed');
  await expect(card).not.toContainText('--cohort');

  await card.getByRole('button', { name: 'Set up from this task' }).click();
  await expect(card.getByRole('status')).toContainText(
    `Made this site's task "${name}" with the labels normal, nodule.`,
  );
  await expect(card.getByTestId('task-problem')).toHaveCount(0);

  // Approving asks first, in plain words: what runs here and what leaves the site.
  await card.getByRole('button', { name: 'Approve this task' }).click();
  const confirm = page.getByRole('dialog', { name: `Approve "${name}"?` });
  await expect(confirm.getByRole('heading', { name: 'What leaves this site' })).toBeVisible();
  await expect(confirm).toContainText('encrypted to the hub\u2019s key');
  await page.screenshot({ path: test.info().outputPath('approve-confirmation.png') });
  await confirm.getByRole('button', { name: 'Cancel' }).click();
  await expect(card.getByTestId('decision')).toHaveText('Waiting for your decision.');
  await card.getByRole('button', { name: 'Approve this task' }).click();
  await confirm.getByRole('button', { name: 'Approve and take part' }).click();
  const approved = training.page.getByRole('article', { name }).getByTestId('decision');
  await expect(approved).toHaveText(/^Approved .* by /);
  await expect(training.badge).toHaveCount(0);

  // Withdrawing: the site stops taking part; the audit log says who withdrew what.
  const approvedCard = page.getByRole('article', { name });
  await approvedCard.getByRole('button', { name: 'Withdraw approval' }).click();
  await page
    .getByRole('dialog', { name: `Withdraw the approval of "${name}"?` })
    .getByRole('button', { name: 'Withdraw approval' })
    .click();
  await expect(page.getByRole('article', { name }).getByTestId('decision')).toHaveText(
    'Waiting for your decision.',
  );
  expect(auditTypes(journey, 'federation.approval-withdrawn')).toEqual([
    expect.objectContaining({ taskName: name }),
  ]);
});

test('one status everywhere: not connected, connected, paused by the person, hub unreachable (defect 8)', async ({
  page,
  journey,
}) => {
  const dashboard = new DashboardPage(page);
  const training = new TrainingPage(page);

  await test.step('a site with no hub says "not connected", never "paused"', async () => {
    await setUpSite(journey, { enroll: false });
    await dashboard.open(journey.ui.url);
    await expect(dashboard.status).toHaveText(/^Not connected to a hub/);
    await training.open();
    await expect(training.status).toHaveText(/^Not connected to a hub/);
    await expect(page.locator('main')).not.toContainText(/paused/i);
  });
});

test('the same status on the dashboard and the Training page, paused only when paused, and the hub down said', async ({
  page,
  journey,
}) => {
  await setUpSite(journey);
  const dashboard = new DashboardPage(page);
  const training = new TrainingPage(page);
  await dashboard.open(journey.ui.url);
  await expect(dashboard.status).toHaveText(/^Connected; no task is approved here yet/);
  await expect(page.getByTestId('glance-hub')).toContainText(': connected');

  await training.open();
  await expect(training.status).toHaveText(/^Connected; no task is approved here yet/);
  await page.getByRole('button', { name: 'Pause' }).click();
  await expect(training.status).toHaveText(/^Paused by you/);
  await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Dashboard' }).click();
  await expect(dashboard.status).toHaveText(/^Paused by you/);
  // The hub hears "paused" (the loop and its heartbeat are stopped), so it does not show the site as gone.
  const hubSite = async () =>
    (await journey.hub.hub.ctx.store.sites.siteByName('Training Spec Hospital'))?.heartbeat_state ?? null;
  await expect.poll(hubSite).toBe('paused');

  // The hub goes away: taking part again finds it unreachable and says so, in words.
  await journey.hub.hub.close();
  await training.open();
  await page.getByRole('button', { name: 'Take part again' }).click();
  await expect(training.status).toHaveText(/^The hub cannot be reached; RadFed keeps trying\./, {
    timeout: 30_000,
  });
  await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Dashboard' }).click();
  await expect(dashboard.status).toHaveText(/^The hub cannot be reached/);
  await expect(page.getByTestId('glance-hub')).toContainText('cannot be reached now');
  await page.screenshot({ path: test.info().outputPath('dashboard-hub-down.png'), fullPage: true });
});

test('model quality: loss and AUC on their own charts, AUC explained, a model that does not learn is called out (defect 6)', async ({
  page,
  journey,
}) => {
  test.setTimeout(300_000);
  await setUpSite(journey);
  const hospital = await journey.writeStudies();
  await page.goto(journey.ui.url);
  const studies = new StudiesPage(page);
  await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Studies' }).click();
  await studies.heading.waitFor();
  await studies.importFolder(hospital.folder);
  await expect(studies.headline).toHaveText(/^Import finished/, { timeout: 120_000 });

  const data = new TrainingDataPage(page);
  await data.open();
  await data.defineTask({ id: 'chest-nodule', name: 'Lung nodule', labels: 'normal, nodule' });
  await expect(page.getByTestId('task-saved')).toBeVisible();
  await data.importLabels(hospital.labelsCsv);
  await expect(page.getByTestId('labels-result')).toBeVisible();

  // A learning rate far too high: the model's outputs blow up, as a coordinator's typo would make them.
  const name = 'Runaway learning (e2e)';
  await journey.createHubTask({ name, optimizer: { name: 'adam', learningRate: 10 }, localEpochs: 2 });
  const training = new TrainingPage(page);
  await training.open();
  const card = page.getByRole('article', { name });
  await card.getByRole('button', { name: 'Approve this task' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Approve and take part' }).click();

  const progress = training.progress(name);
  await expect(progress.getByTestId('phase')).toHaveText(/Finished at the hub/, { timeout: 240_000 });
  // Two charts, one quantity each, with named axes and a legend of names (never "--").
  const lossTable = progress.getByRole('table', { name: /^Loss per round/ });
  const qualityTable = progress.getByRole('table', { name: /^AUC and accuracy per round/ });
  await expect(lossTable).toBeAttached();
  await expect(qualityTable).toBeAttached();
  // Each chart is drawn (a loss of 1e9 too, on its log scale), not just its caption.
  await expect(progress.locator('figure canvas')).toHaveCount(3);
  const legends = progress.locator('.legend');
  await expect(legends.filter({ hasText: 'Global model AUC' })).toHaveCount(1);
  for (const legend of await legends.all()) await expect(legend).not.toContainText('--');
  await expect(progress.getByTestId('auc-meaning')).toHaveText(/^AUC is the chance .* 0\.5 is no better/);
  await expect(progress.getByTestId('learning-warning')).toHaveText(
    /^The model is not learning: in round 1 its loss is/,
  );
  await page.screenshot({ path: test.info().outputPath('training-not-learning.png'), fullPage: true });
});
