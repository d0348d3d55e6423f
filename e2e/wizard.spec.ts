// The setup wizard against a real site agent and a real hub on loopback (e2e/fixtures/setup-world.ts):
// the one name rule checked as typed (an apostrophe is fine), the hub step that asks the hub about the
// token and shows one current message (defect 10), the de-identification step's permanence, date
// choice and risky options (defect 11), Enter and focus, the receiver step's addresses, and "Connect
// later" that does not bring the wizard back (defect 9).
import { networkInterfaces } from 'node:os';
import { expect, test } from './fixtures/setup-world.ts';
import { WizardPage } from './pages/wizard-page.ts';

async function toHubStep(wizard: WizardPage, name = "St Mary's Radiology"): Promise<void> {
  await wizard.siteName.fill(name);
  await wizard.next.click();
  await expect(wizard.step(2, 'Hub')).toBeVisible();
}

test('a name with an apostrophe is taken at step 1 and enrolled at the hub; a bad one is refused as typed', async ({
  page,
  world,
}) => {
  const wizard = new WizardPage(page);
  await wizard.open(await world.open());
  await wizard.siteName.fill('North/South');
  // Checked as typed, beside the field, before Next.
  await expect(wizard.problemBeside('site-name')).toHaveText(/cannot contain \/ or \\/);
  await expect(wizard.siteName).toHaveAttribute('aria-invalid', 'true');
  await wizard.next.click();
  await expect(wizard.step(1, 'Site name')).toBeVisible();
  await wizard.siteName.fill('North\u202eHospital');
  await expect(wizard.problemBeside('site-name')).toHaveText(/one line of visible characters/);
  await wizard.siteName.fill("St Mary's Radiology – Hôpital Saint-Éloi");
  await expect(wizard.problemBeside('site-name')).toHaveCount(0);
  await wizard.next.click();

  await expect(wizard.step(2, 'Hub')).toBeVisible();
  await wizard.token.fill(await world.token());
  await wizard.next.click();
  // Next checked the token with the hub, then went on.
  await expect(wizard.step(3, 'Studies')).toBeVisible();
  for (const n of [3, 4, 5, 6]) {
    if (n === 4) await page.getByLabel(/Opt-out/).check();
    await wizard.next.click();
  }
  await expect(wizard.step(7, 'Summary')).toBeVisible();
  await page.getByRole('button', { name: 'Set up this site' }).click();
  const done = page.getByRole('list', { name: 'What was done' });
  await expect(done).toContainText('Created the site "St Mary\'s Radiology – Hôpital Saint-Éloi"');
  await expect(done).toContainText('Enrolled with the hub "test hub"');
  await expect(page.getByRole('heading', { name: 'The site is set up' })).toBeFocused();
  await page.getByRole('button', { name: 'Open the dashboard' }).click();
  // Focus moves to the dashboard's title after setup.
  await expect(page.getByRole('heading', { level: 1, name: 'Dashboard' })).toBeFocused();
  await expect(page.locator('.brand')).toContainText("St Mary's Radiology – Hôpital Saint-Éloi");
});

test('the hub step: an expired token is red in words, a failed check or an http address stops Next, one message at a time', async ({
  page,
  world,
}) => {
  const wizard = new WizardPage(page);
  await wizard.open(await world.open());
  await toHubStep(wizard);

  const expired = await world.token({ expiresInMs: 60_000 });
  world.hub.shiftClock(120_000);
  await wizard.token.fill(expired);
  await wizard.checkConnection.click();
  await expect(wizard.hubCheck).toHaveText(
    /This enrollment token expired on .* ask the coordinator for a new one/,
  );
  await expect(wizard.hubCheck).toHaveClass(/problem/);
  // Next after the failed check stays here, with the one current message.
  await wizard.next.click();
  await expect(wizard.step(2, 'Hub')).toBeVisible();
  await expect(wizard.problem).toHaveCount(1);
  await page.screenshot({ path: test.info().outputPath('wizard-hub-expired.png') });

  // An address without https:// is refused beside the address, before anything is asked.
  const fresh = await world.token();
  await wizard.token.fill(fresh);
  await wizard.hubAddress.fill(
    new URL(JSON.parse(Buffer.from(fresh.slice(5), 'base64url').toString()).u).host,
  );
  await wizard.next.click();
  await expect(wizard.problemBeside('hub-url')).toHaveText(/starts with https:\/\/.*type https:\/\//);
  await expect(wizard.problem).toHaveCount(1);
  await expect(wizard.step(2, 'Hub')).toBeVisible();

  // The right address and a fresh token: green, checked twice without being spent, then used.
  await wizard.hubAddress.fill('');
  await wizard.checkConnection.click();
  await expect(wizard.hubCheck).toHaveText(/token is unused and valid until/);
  await expect(wizard.problem).toHaveCount(0);
  await wizard.checkConnection.click();
  await expect(wizard.hubCheck).toHaveText(/token is unused and valid until/);
  await wizard.next.click();
  await expect(wizard.step(3, 'Studies')).toBeVisible();
  await expect(wizard.stepTitle).toBeFocused();
});

test('the receiver step shows this computer\u2019s addresses; Enter on a step without fields goes on', async ({
  page,
  world,
}) => {
  const wizard = new WizardPage(page);
  await wizard.open(await world.open());
  await toHubStep(wizard);
  await page.getByLabel(/Connect to a hub later/).check();
  await wizard.next.click();
  await expect(wizard.step(3, 'Studies')).toBeVisible();
  await expect(wizard.stepTitle).toBeFocused();
  await page.getByLabel(/DICOM receiver/).check();
  const expected = Object.values(networkInterfaces())
    .flat()
    .filter((e) => e && !e.internal && !e.address.startsWith('fe80:'))
    .map((e) => e!.address);
  const list = page.getByTestId('network-addresses');
  if (expected.length > 0) {
    for (const address of expected) await expect(list).toContainText(address);
  } else {
    await expect(page.getByText(/no network connection now/)).toBeVisible();
  }
  await expect(list.getByText('127.0.0.1')).toHaveCount(0);
  await page.getByLabel(/From a folder/).check();
  await wizard.next.click();
  await expect(wizard.step(4, 'Consent')).toBeVisible();
  await page.getByLabel(/Opt-in/).check();
  await page.keyboard.press('Enter');
  await expect(wizard.step(5, 'De-identification')).toBeVisible();
  // Focus is on the step's title: Enter goes on.
  await expect(wizard.stepTitle).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(wizard.step(6, 'Training device')).toBeVisible();
  await expect(wizard.stepTitle).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(wizard.step(7, 'Summary')).toBeVisible();
  // Never on the last step: Enter there does not set the site up.
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { name: 'The site is set up' })).toHaveCount(0);
});

test('de-identification: permanent, dates are one choice, risky options stand apart and say what they keep', async ({
  page,
  world,
}) => {
  const wizard = new WizardPage(page);
  await wizard.open(await world.open());
  await toHubStep(wizard);
  await page.getByLabel(/Connect to a hub later/).check();
  await wizard.next.click();
  await wizard.next.click();
  await page.getByLabel(/Opt-out/).check();
  await wizard.next.click();
  await expect(wizard.step(5, 'De-identification')).toBeVisible();
  await expect(page.getByTestId('deid-permanent')).toContainText('This choice is permanent');

  const real = page.getByRole('radio', { name: 'Keep the real dates' });
  const shifted = page.getByRole('radio', { name: 'Keep dates, shifted per patient' });
  await real.check();
  await shifted.check();
  await expect(real).not.toBeChecked();
  await expect(page.getByRole('radio', { name: /Remove dates/ })).not.toBeChecked();
  await expect(page.getByRole('checkbox', { name: /dates/i })).toHaveCount(0);

  // Risky options look different (a marked row) and say what they keep; harmless ones do not.
  const uids = page.locator('.option', {
    has: page.getByRole('checkbox', { name: 'Keep the original UIDs' }),
  });
  await expect(uids).toHaveAttribute('data-risky', 'true');
  await expect(uids).toContainText('anyone with PACS access can trace them back');
  await expect(page.getByRole('checkbox', { name: 'Keep the original UIDs' })).toHaveAccessibleDescription(
    /trace them back/,
  );
  const clean = page.locator('.option', {
    has: page.getByRole('checkbox', { name: 'Clean descriptions and comments' }),
  });
  await expect(clean).not.toHaveAttribute('data-risky', 'true');
  await expect(uids).toHaveCSS('border-left-width', '4px');
  await expect(clean).toHaveCSS('border-left-width', '0px');
  await page.screenshot({ path: test.info().outputPath('wizard-deid.png'), fullPage: true });

  await wizard.next.click();
  await wizard.next.click();
  await expect(
    page.getByRole('definition').filter({ hasText: 'Keep dates, shifted per patient' }),
  ).toHaveCount(1);
});

test('"Connect later" opens the pages, and the wizard does not come back at the next launch', async ({
  page,
  world,
}) => {
  const wizard = new WizardPage(page);
  const url = await world.open();
  await wizard.open(url);
  await toHubStep(wizard, 'Later Hospital');
  await page.getByLabel(/Connect to a hub later/).check();
  await wizard.next.click();
  await wizard.next.click();
  await page.getByLabel(/Opt-out/).check();
  for (let i = 0; i < 3; i++) await wizard.next.click();
  await page.getByRole('button', { name: 'Set up this site' }).click();
  await expect(page.getByRole('list', { name: 'What was done' })).toContainText('Not connected to a hub yet');
  await page.getByRole('button', { name: 'Open the dashboard' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Dashboard' })).toBeVisible();

  await page.goto(url);
  await expect(page.getByRole('heading', { level: 1, name: 'Dashboard' })).toBeVisible();
  await expect(wizard.heading).toHaveCount(0);
  await page.getByRole('link', { name: 'Settings' }).click();
  await expect(page.getByRole('button', { name: 'Connect to a hub' })).toBeVisible();
});

test('when the hub refuses at the last step, the site made is kept and the header shows its name', async ({
  page,
  world,
}) => {
  const wizard = new WizardPage(page);
  await wizard.open(await world.open());
  await toHubStep(wizard, "St Mary's Radiology");
  await wizard.token.fill(await world.token({ expiresInMs: 60_000 }));
  await wizard.next.click();
  await expect(wizard.step(3, 'Studies')).toBeVisible();
  await wizard.next.click();
  await page.getByLabel(/Opt-out/).check();
  for (let i = 0; i < 3; i++) await wizard.next.click();
  await expect(wizard.step(7, 'Summary')).toBeVisible();
  // The token lapses between the check and the last step.
  world.hub.shiftClock(120_000);
  await page.getByRole('button', { name: 'Set up this site' }).click();
  await expect(wizard.problem).toHaveText(/expired on .* ask the coordinator for a new one/);
  await expect(page.locator('.brand')).toContainText("St Mary's Radiology");
  // Back at the hub step with a new token, the same site is enrolled.
  for (let i = 0; i < 5; i++) await wizard.back.click();
  await expect(wizard.step(2, 'Hub')).toBeVisible();
  await wizard.token.fill(await world.token());
  for (let i = 0; i < 5; i++) await wizard.next.click();
  await page.getByRole('button', { name: 'Set up this site' }).click();
  await expect(page.getByRole('list', { name: 'What was done' })).toContainText(
    'Enrolled with the hub "test hub"',
  );
});

test('a site name IT locked is filled in and cannot be changed in the wizard', async ({ page, world }) => {
  const wizard = new WizardPage(page);
  await wizard.open(await world.open({ locked: { 'site.name': "St Mary's Radiology" } }));
  await expect(wizard.siteName).toHaveValue("St Mary's Radiology");
  await expect(wizard.siteName).toHaveAttribute('readonly', '');
  await expect(page.getByText('🔒 Set by your IT department.')).toBeVisible();
  await wizard.next.click();
  await expect(wizard.step(2, 'Hub')).toBeVisible();
});
