// The whole journey in the local web UI, with a real agent and a real hub: the setup wizard from first
// launch to an enrolled site, importing studies, defining the site task and importing its labels,
// approving the hub's task, watching its round complete, and the coordinator seeing it on the hub
// dashboard. Only the hub's task is made in test code (the coordinator's CLI). Screenshots of every
// page are kept in the test output (test-results/).
import { WizardPage } from './pages/wizard-page.ts';
import { StudiesPage } from './pages/studies-page.ts';
import { TrainingDataPage } from './pages/training-data-page.ts';
import { TrainingPage } from './pages/training-page.ts';
import { expect, test } from './fixtures/site-journey.ts';
import { HubDashboardPage } from './pages/hub-dashboard-page.ts';
import { setCoordinatorPassword } from '../hub/dashboard/index.ts';
import { TEST_SCRYPT_COST } from '../hub/dashboard/testing/dashboard-client.ts';

const COORDINATOR = 'coordinator';
const COORDINATOR_PASSWORD = 'a long coordinator passphrase';

// The hub's certificate comes from its own CA, which this browser does not know.
test.use({ ignoreHTTPSErrors: true });

test('from first launch to an enrolled site that finishes a federated round', async ({ page, journey }) => {
  test.setTimeout(300_000);
  const shot = (name: string) =>
    page.screenshot({ path: test.info().outputPath(`${name}.png`), fullPage: true });
  const cspViolations: string[] = [];
  page.on('console', (message) => {
    if (message.text().includes('Content Security Policy')) cspViolations.push(message.text());
  });
  const wizard = new WizardPage(page);

  await test.step('the wizard opens on an empty folder', async () => {
    await wizard.open(journey.ui.url);
    await expect(wizard.step(1, 'Site name')).toBeVisible();
    // The navigation waits until the site exists.
    await expect(page.getByRole('navigation', { name: 'Pages' })).toHaveCount(0);
    await wizard.next.click();
    await expect(wizard.problem).toHaveText(/Give the site a name/);
    await page.getByRole('textbox', { name: 'Site name' }).fill('Journey General Hospital');
    await shot('wizard-1-site');
    await wizard.next.click();
  });

  await test.step('hub: a wrong token is explained, the right one is checked without being spent', async () => {
    await expect(wizard.step(2, 'Hub')).toBeVisible();
    const token = page.getByLabel('Enrollment token');
    await token.fill('rft1.not-a-real-token');
    await page.getByRole('button', { name: 'Check the connection' }).click();
    await expect(page.getByTestId('hub-check')).toHaveText(/token/i);
    await token.fill(await journey.enrollmentToken());
    await page.getByRole('button', { name: 'Check the connection' }).click();
    await expect(page.getByTestId('hub-check')).toHaveText(
      /Reached the hub "test hub" at https:\/\/.*its certificate and signing key match your token/,
    );
    await shot('wizard-2-hub');
    await wizard.next.click();
  });

  await test.step('studies, consent and de-identification, by keyboard where it matters', async () => {
    await expect(wizard.step(3, 'Studies')).toBeVisible();
    await page.getByLabel(/DICOM receiver/).check();
    await expect(page.getByLabel("RadFed's AE title")).toHaveValue('RADFED');
    await page.getByLabel('AE titles allowed to send').fill('PACS');
    await shot('wizard-3-studies');
    await page.getByLabel(/From a folder/).check();
    await wizard.next.click();

    await expect(wizard.step(4, 'Consent')).toBeVisible();
    await wizard.next.click();
    await expect(wizard.problem).toHaveText(/Choose opt-in or opt-out/);
    await page.getByLabel(/Opt-out/).check();
    await shot('wizard-4-consent');
    await page.keyboard.press('Enter');

    await expect(wizard.step(5, 'De-identification')).toBeVisible();
    await page.getByLabel('Clean descriptions and comments').check();
    await shot('wizard-5-deid');
    await wizard.next.click();
  });

  await test.step('the training device is detected and named', async () => {
    await expect(wizard.step(6, 'Training device')).toBeVisible();
    await expect(page.getByTestId('device')).toHaveText(/Training will run on .*(CPU|GPU)/, {
      timeout: 60_000,
    });
    await shot('wizard-6-device');
    await wizard.next.click();
  });

  await test.step('the summary sets up and enrolls the site', async () => {
    await expect(wizard.step(7, 'Summary')).toBeVisible();
    const answers = page.getByRole('definition');
    await expect(answers.filter({ hasText: 'Journey General Hospital' })).toHaveCount(1);
    await expect(page.getByText('Clean descriptions and comments')).toBeVisible();
    // The token is never shown back.
    await expect(page.getByText(/rft1\./)).toHaveCount(0);
    await shot('wizard-7-summary');
    await page.getByRole('button', { name: 'Set up this site' }).click();
    const done = page.getByRole('list', { name: 'What was done' });
    await expect(done).toContainText('Created the site "Journey General Hospital"');
    await expect(done).toContainText('Enrolled with the hub "test hub"');
    await shot('wizard-done');
    await page.getByRole('button', { name: 'Open the dashboard' }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'Dashboard' })).toBeVisible();
    await expect(page.getByTestId('glance-hub')).toContainText('test hub');
    expect(journey.session.state().stage).toBe('enrolled');
    expect(journey.session.state().site?.deidOptions).toEqual(['clean-descriptors']);
  });

  const hospital = await journey.writeStudies();
  // Training images in the cohort shown here: the hub's participation table must show the same number.
  let trainingImages = '';
  await test.step('studies are imported on the Studies page', async () => {
    const studies = new StudiesPage(page);
    await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Studies' }).click();
    await studies.heading.waitFor();
    await studies.importFolder(hospital.folder);
    await expect(studies.headline).toHaveText(/^Import finished/, { timeout: 120_000 });
    await shot('studies-imported');
  });

  await test.step('the site task and its labels are set on the Training data page', async () => {
    const data = new TrainingDataPage(page);
    await data.open();
    await expect(page.getByText('No task yet.')).toBeVisible();
    // A label set of one is refused in words, before anything is saved.
    await data.defineTask({ id: 'chest-nodule', name: 'Lung nodule', labels: 'nodule' });
    await expect(data.form.getByLabel('Labels, in class order')).toHaveAttribute('aria-invalid', 'true');
    await expect(data.form.getByText(/^Give at least two labels/)).toBeVisible();
    await data.defineTask({
      id: 'chest-nodule',
      name: 'Lung nodule',
      labels: 'normal, nodule',
      modalities: 'DX, CR',
      validationPercent: 25,
      seed: 1,
    });
    await expect(page.getByTestId('task-saved')).toHaveText('Added the task "Lung nodule".');
    await expect(page.getByRole('list', { name: 'Tasks' })).toContainText('Labels 0 normal, 1 nodule');
    await expect(data.cohort.getByRole('row', { name: /No label/ })).toBeVisible();

    await data.importLabels(hospital.labelsCsv);
    const result = page.getByTestId('labels-result');
    await expect(result).toContainText(`${hospital.labelLines - 1} rows read`);
    // The extra line is reported by its number, and its accession number is not shown.
    await expect(result.getByRole('list', { name: 'Lines not applied' })).toHaveText(
      `Line ${hospital.labelLines}: matches no de-identified study here (often a study not imported yet: import it, then this file again).`,
    );
    await expect(page.getByText('NOT-AN-ACCESSION-1')).toHaveCount(0);
    const perLabel = data.cohort.getByRole('table', { name: 'Cohort per label and split' });
    await expect(perLabel.getByRole('row', { name: /1 nodule/ })).toBeVisible();
    await expect(page.getByTestId('cohort-sentence')).toHaveText(
      /^[1-9]\d* images? of \d+ patients? for training/,
    );
    const sentence = (await page.getByTestId('cohort-sentence').textContent()) ?? '';
    trainingImages = /^(\d+) images? /.exec(sentence)?.[1] ?? 'none';
    await shot('training-data');
  });

  const training = new TrainingPage(page);
  const taskName = 'Nodule screening (e2e)';
  await test.step('approving a task in plain words', async () => {
    await journey.createHubTask({ name: taskName });
    await training.open();
    const card = training.task(taskName);
    await expect(card.getByRole('region', { name: 'What leaves this site' })).toContainText(
      'encrypted to the hub\u2019s key',
    );
    await expect(card.getByTestId('privacy-budget')).toHaveText(/Not set/);
    await expect(card.getByTestId('decision')).toHaveText('Waiting for your decision.');
    await shot('training-review');
    await card.getByRole('button', { name: 'Approve this task' }).click();
    // Approval asks first, saying what runs here and what leaves the site.
    await page.getByRole('dialog').getByRole('button', { name: 'Approve and take part' }).click();
    await expect(card.getByTestId('decision')).toHaveText(/^Approved .* by operator \(e2e\)\.$/);
  });

  await test.step('a round completes, with progress and charts', async () => {
    const progress = training.progress(taskName);
    await expect(progress.getByTestId('rounds-completed')).toHaveText(
      "Rounds completed with this site's update: 1.",
      { timeout: 240_000 },
    );
    await expect(progress.getByTestId('phase')).toHaveText(/Finished at the hub \(completed/, {
      timeout: 60_000,
    });
    await expect(progress.getByRole('table', { name: 'Training loss per epoch' })).toBeAttached();
    await expect(
      progress.getByRole('table', { name: /AUC and accuracy per round/ }).getByRole('row'),
    ).toHaveCount(2);
    await expect(page.getByTestId('federation-log')).toContainText('published as global model');
    await shot('training-round-done');
  });

  await test.step('the hub dashboard shows the round and this site in it', async () => {
    // The coordinator's side: an account on the journey's hub, then the dashboard in the same browser.
    await setCoordinatorPassword(journey.hub.dir, COORDINATOR, COORDINATOR_PASSWORD, {
      cost: TEST_SCRYPT_COST,
    });
    const uiPage = page.url();
    const hub = new HubDashboardPage(page);
    await hub.signIn(journey.hub.hub.url, COORDINATOR, COORDINATOR_PASSWORD);
    await expect(hub.heading).toHaveText('Overview');
    await hub.nav('Sites').click();
    // Its heartbeat keeps it present: online while training, idle once the task is done; never offline.
    await expect(hub.row('Sites', 'Journey General Hospital')).toContainText(/online|idle/);
    await hub.nav('Tasks').click();
    await expect(hub.row('Tasks', taskName)).toContainText('1 of 1');
    await page.getByRole('link', { name: taskName }).click();
    await expect(hub.heading).toHaveText(`Task: ${taskName}`);
    await expect(hub.row('Rounds', '1')).toContainText('published');
    // This site's update counted in round 1, with as many examples as its cohort has training images.
    await expect(hub.row('Participation', '1').getByRole('cell')).toHaveText([`${trainingImages} examples`]);
    await shot('hub-dashboard-round');
    await page.goto(uiPage);
    await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
  });

  await test.step('every page opens and is kept as a screenshot', async () => {
    const nav = page.getByRole('navigation', { name: 'Pages' });
    for (const [link, heading] of [
      ['Dashboard', 'Dashboard'],
      ['Studies', 'Studies'],
      ['Consent', 'Consent'],
      ['Training data', 'Training data'],
      ['Audit', 'Audit'],
      ['Settings', 'Settings'],
    ] as const) {
      await nav.getByRole('link', { name: link, exact: true }).click();
      await expect(page.getByRole('heading', { level: 1, name: heading })).toBeVisible();
      await expect(nav.getByRole('link', { name: link, exact: true })).toHaveAttribute(
        'aria-current',
        'page',
      );
      if (link === 'Dashboard') {
        await expect(page.getByTestId('glance-cohort')).toContainText('Lung nodule:');
        await expect(page.getByTestId('sources-receiver')).toHaveText('Not set up.');
      }
      await shot(`page-${link.toLowerCase().replace(' ', '-')}`);
    }
    await page.emulateMedia({ colorScheme: 'dark' });
    await nav.getByRole('link', { name: 'Training', exact: true }).click();
    await shot('training-dark');
  });

  expect(cspViolations).toEqual([]);
});
