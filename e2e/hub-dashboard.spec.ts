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
import { createTask } from '../hub/index.ts';
import { testTask } from '../hub/testing/test-hub.ts';
import { HubRequestError } from '../shared/federation/index.ts';
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

// The coordinator's actions, on a hub of their own (they stop its task and remove a site).
test.describe('hub dashboard actions', () => {
  let acting: FederatedHub;
  test.beforeAll(async () => {
    acting = await makeFederatedHub();
  });
  test.afterAll(async () => {
    await acting?.cleanup();
  });

  test('a coordinator creates a task: problems beside their fields, then a budget that funds too few rounds', async ({
    page,
  }) => {
    const shot = (name: string) => page.screenshot({ path: test.info().outputPath(name), fullPage: true });
    const dashboard = new HubDashboardPage(page);
    await dashboard.signIn(acting.testHub.hub.url, COORDINATOR, COORDINATOR_PASSWORD);
    await dashboard.nav('Tasks').click();
    await page.getByRole('link', { name: 'New task' }).click();
    await expect(dashboard.heading).toHaveText('New task');
    await dashboard.fillTask({ Rounds: '0', 'Learning rate': 'fast' });
    await page.getByRole('button', { name: 'Create task' }).click();
    await expect(page.getByRole('alert')).toContainText('The task was not created: 4 problems to fix');
    await expect(dashboard.field('Name')).toHaveAttribute('aria-invalid', 'true');
    await expect(dashboard.field('Name')).toHaveAccessibleDescription('This is required.');
    await expect(dashboard.field('Rounds')).toHaveAccessibleDescription('Must be at least 1.');
    await expect(dashboard.field(/^Labels/)).toHaveAccessibleDescription('Give at least 2.');
    await expect(dashboard.field('Learning rate')).toHaveAccessibleDescription('Enter a number.');
    await shot('hub-task-form-problems.png');

    await dashboard.fillTask({
      Name: 'Effusion screening',
      Rounds: '20',
      'Learning rate': '0.001',
      'Noise multiplier z': '1',
    });
    await dashboard.field(/^Privacy budget ε/).fill('8');
    await dashboard.field(/^Labels/).fill('normal\neffusion');
    await page.getByRole('radio', { name: /^Per site \(DP-FedAvg\)/ }).check();
    await page.getByRole('button', { name: 'Create task' }).click();
    // A budget that funds 2 of the 20 rounds is refused, beside ε, with the noise that would fund them all.
    await expect(dashboard.field(/^Privacy budget ε/)).toHaveAccessibleDescription(
      /funds only 2 of the task's 20 rounds with noise multiplier 1: raise the noise multiplier to 2\.854/,
    );
    await shot('hub-task-form-budget-warning.png');
    await dashboard.fillTask({ 'Noise multiplier z': '2.854' });
    await page.getByRole('button', { name: 'Create task' }).click();
    await expect(dashboard.heading).toHaveText('Task: Effusion screening');
    await expect(dashboard.notice).toContainText('Task "Effusion screening" created.');
    await expect(page.locator('main')).toContainText('2.854');
    await shot('hub-task-created.png');
  });

  test('a coordinator creates a per-patient task: σ calibrated by the hub and shown; a hopeless budget refused beside ε', async ({
    page,
  }) => {
    const shot = (name: string) => page.screenshot({ path: test.info().outputPath(name), fullPage: true });
    const dashboard = new HubDashboardPage(page);
    await dashboard.signIn(acting.testHub.hub.url, COORDINATOR, COORDINATOR_PASSWORD);
    await dashboard.nav('Tasks').click();
    await page.getByRole('link', { name: 'New task' }).click();
    const perPatient = page.getByRole('radio', {
      name: /^Per patient \(DP-SGD at every site\): recommended/,
    });
    await expect(perPatient).toBeVisible();
    await dashboard.fillTask({ Name: 'Consolidation (per patient)' });
    await dashboard.field(/^Labels/).fill('normal\nconsolidation');
    await perPatient.check();
    await dashboard.field(/^Sampling rate q/).fill('0.2');
    await expect(dashboard.field(/^Noise multiplier σ/)).toHaveValue('');

    // A budget that not even the most noise funds: refused, the sentence beside ε.
    await dashboard.field(/^Privacy budget ε/).fill('0.001');
    await page.getByRole('button', { name: 'Create task' }).click();
    await expect(dashboard.field(/^Privacy budget ε/)).toHaveAttribute('aria-invalid', 'true');
    await expect(dashboard.field(/^Privacy budget ε/)).toHaveAccessibleDescription(
      /^The privacy budget ε = 0\.001 \(δ = 0\.00001\) funds only \d+ of the task's 20 rounds, even with the most noise a task may have/,
    );
    await expect(perPatient).toBeChecked();
    await shot('hub-task-form-patient-dp-refused.png');

    // ε = 8 with σ left empty: the hub calibrates σ and says what a site needs before it creates the task.
    await dashboard.field(/^Privacy budget ε/).fill('8');
    await page.getByRole('button', { name: 'Create task' }).click();
    const warnings = page.locator('#task-warnings');
    await expect(warnings).toContainText('the hub calibrated σ = 1.557');
    await expect(warnings).toContainText('a site needs at least 243 training patients');
    await shot('hub-task-form-patient-dp-confirm.png');
    await page.getByRole('checkbox', { name: 'Create the task anyway' }).check();
    await page.getByRole('button', { name: 'Create task' }).click();
    await expect(dashboard.heading).toHaveText('Task: Consolidation (per patient)');
    await expect(dashboard.notice).toContainText(
      'The hub calibrated the noise multiplier from the budget: σ = 1.557.',
    );
    const privacy = page.getByRole('region', { name: 'Privacy' });
    await expect(privacy).toContainText(/Noise multiplier \(σ\)\s*1\.557/);
    await expect(privacy).toContainText(/Training patients a site needs\s*at least 243/);
    await expect(privacy).toContainText(/Privacy budget spent per patient\s*ε = 0\.00 of 8\.00/);
    await shot('hub-task-patient-dp.png');
  });

  test('stops a task after its confirmation, and marks the best model version', async ({ page }) => {
    const dashboard = new HubDashboardPage(page);
    await dashboard.signIn(acting.testHub.hub.url, COORDINATOR, COORDINATOR_PASSWORD);
    await page.goto(`${acting.testHub.hub.url}/dashboard/tasks/${acting.taskId}`);
    await expect(dashboard.row('Models', /^2/)).toContainText('best');
    await expect(page.getByText('The best version is 2')).toBeVisible();
    await page.getByRole('link', { name: 'Stop this task…' }).click();
    await expect(dashboard.heading).toHaveText('Stop the task "Pneumonia screening"?');
    await expect(page.getByRole('region', { name: 'What happens' })).toContainText(
      'The round now open fails',
    );
    await page.screenshot({ path: test.info().outputPath('hub-task-stop-confirm.png'), fullPage: true });
    await page.getByRole('button', { name: 'Stop the task' }).click();
    await expect(dashboard.notice).toHaveText('Task "Pneumonia screening" stopped.');
    await expect(page.locator('main .lead')).toContainText('stopped');
    await expect(dashboard.row('Rounds', '3')).toContainText('The coordinator stopped the task.');
  });

  test('revokes an unused token, sees who declined a task, removes a site', async ({ page }) => {
    const dashboard = new HubDashboardPage(page);
    const [ash, birch] = acting.sites;
    const other = acting.testHub.hub.ctx;
    const task = await createTask(other, testTask({ name: 'Fracture triage' }));
    await ash!.sendHeartbeat({ state: 'idle', tasks: [{ taskId: task.id, decision: 'declined' }] });
    await birch!.sendHeartbeat({ state: 'waiting-for-approval' });

    await dashboard.signIn(acting.testHub.hub.url, COORDINATOR, COORDINATOR_PASSWORD);
    await dashboard.nav('Enrollment tokens').click();
    const cedar = dashboard
      .table('Enrollment tokens')
      .getByRole('row')
      .filter({ hasText: 'Cedar Infirmary' });
    await cedar.getByRole('button', { name: /^Revoke token/ }).click();
    await expect(dashboard.notice).toContainText('revoked: no site can enroll with it');
    await expect(cedar).toContainText('revoked');

    await page.goto(`${acting.testHub.hub.url}/dashboard/tasks/${task.id}`);
    const standings = 'Sites and this task';
    await expect(dashboard.row(standings, SITE_NAMES[0])).toContainText('declined the task at the site');
    await expect(dashboard.row(standings, SITE_NAMES[1])).toContainText(
      'not joined: a task waits for approval at the site',
    );
    await expect(dashboard.row(standings, SITE_NAMES[1])).toContainText('idle');
    await page.screenshot({ path: test.info().outputPath('hub-task-standings.png'), fullPage: true });

    await dashboard.nav('Sites').click();
    await expect(dashboard.row('Sites', SITE_NAMES[1])).toContainText(
      'waiting for the operator to approve a task',
    );
    await dashboard.confirm(`Remove ${SITE_NAMES[1]}…`, 'Remove the site');
    await expect(dashboard.notice).toContainText(`Site "${SITE_NAMES[1]}" removed`);
    await expect(dashboard.row('Sites', SITE_NAMES[1])).toContainText('removed');
    await page.screenshot({ path: test.info().outputPath('hub-site-removed.png'), fullPage: true });
    const refused = await birch!.listTasks().catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(HubRequestError);
  });
});
