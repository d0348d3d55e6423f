// Settings against a real site agent and a real hub on loopback (e2e/fixtures/setup-world.ts):
// the site's own settings are edited with plain labels and saved through the agent (the name
// rule beside the field, the header following), IT's locks are shown and kept, this computer's settings
// are saved with where each came from, and a site set up with "Connect later" connects from here, with
// the same token and address checks as the wizard.
import { expect, test } from './fixtures/setup-world.ts';
import { SettingsPage } from './pages/settings-page.ts';

test('the site is renamed here with the one name rule, and the header follows', async ({ page, world }) => {
  const settings = new SettingsPage(page);
  await settings.open(await world.open({ site: 'North General' }));
  await expect(settings.siteName).toHaveValue('North General');
  // No raw keys on the page.
  await expect(page.getByText('site.name')).toHaveCount(0);

  await settings.siteName.fill('North/South');
  await expect(settings.problemBeside('site-name')).toHaveText(/cannot contain \/ or \\/);
  await settings.saveSite.click();
  await expect(settings.problemBeside('site-name')).toBeVisible();

  await settings.siteName.fill("St Mary's Radiology");
  await expect(settings.problemBeside('site-name')).toHaveCount(0);
  await page.getByLabel('What the consent covers (optional)').fill('chest imaging research');
  await settings.saveSite.click();
  await expect(page.getByText('Saved.')).toBeVisible();
  await expect(page.locator('.brand')).toContainText("St Mary's Radiology");
  await page.reload();
  await expect(settings.siteName).toHaveValue("St Mary's Radiology");
  await expect(page.getByLabel('What the consent covers (optional)')).toHaveValue('chest imaging research');
  await page.screenshot({ path: test.info().outputPath('settings.png'), fullPage: true });
});

test('what IT locked is shown locked, and the agent keeps it', async ({ page, world }) => {
  const settings = new SettingsPage(page);
  const url = await world.open({
    site: 'North General',
    locked: {
      'site.name': 'North General',
      'app.startAtLogin': true,
      'hub.url': 'https://hub.example.org:8443',
    },
  });
  await settings.open(url);
  await expect(settings.siteName).toHaveAttribute('readonly', '');
  await expect(page.getByText('🔒 Locked by your IT department.').first()).toBeVisible();
  const startAtLogin = settings.setting('app.startAtLogin');
  await expect(startAtLogin.getByRole('checkbox')).toBeDisabled();
  await expect(startAtLogin).toContainText('Locked by your IT department');

  // A change that reaches the agent anyway (an old screen, a script) is refused there.
  const refusal = async (channel: string, payload: unknown) => {
    const response = await page.request.post(new URL('/api/invoke', url).toString(), {
      headers: { Authorization: `Bearer ${new URL(url).searchParams.get('token')}` },
      data: { channel, payload },
    });
    return (await response.json()) as { ok: boolean; error?: { code: string } };
  };
  expect(await refusal('settings:set', { changes: { 'app.startAtLogin': false } })).toMatchObject({
    ok: false,
    error: { code: 'setting-locked' },
  });
  expect(
    await refusal('setup:finish', {
      siteName: 'Renamed',
      hub: null,
      studies: { kind: 'folder' },
      consentPolicy: 'opt-out',
      deidOptions: [],
    }),
  ).toMatchObject({ ok: false, error: { code: 'setting-locked' } });
  await settings.saveSite.click();
  await expect(page.getByText('Saved.')).toBeVisible();
  await expect(settings.siteName).toHaveValue('North General');
  // IT's hub address is the one Connect to a hub uses.
  await settings.connectToHub.click();
  const address = page.getByLabel('Hub address (optional)');
  await expect(address).toHaveValue('https://hub.example.org:8443');
  await expect(address).toHaveAttribute('readonly', '');
});

test("this computer's settings are saved with plain labels and where each came from", async ({
  page,
  world,
}) => {
  const settings = new SettingsPage(page);
  await settings.open(await world.open({ site: 'North General' }));
  const notifications = settings.setting('app.notifications');
  await expect(notifications).toContainText('RadFed\u2019s default');
  await notifications.getByRole('checkbox', { name: 'Show notifications' }).uncheck();
  await page.getByLabel('Training device').selectOption('wasm');
  await settings.saveComputer.click();
  await expect(page.getByText('Saved.')).toBeVisible();
  await page.reload();
  await expect(notifications.getByRole('checkbox', { name: 'Show notifications' })).not.toBeChecked();
  await expect(notifications).toContainText('Chosen here');
  await expect(page.getByLabel('Training device')).toHaveValue('wasm');
  expect(world.settings.values()['app.notifications']).toBe(false);
});

test('a site set up with "Connect later" connects to a hub from Settings, with the wizard\u2019s checks', async ({
  page,
  world,
}) => {
  const settings = new SettingsPage(page);
  const url = await world.open({ site: "St Mary's Radiology" });
  await settings.open(url);
  await expect(settings.hubConnection).toContainText('Not connected to a hub');
  await settings.connectToHub.click();
  await expect(page.getByRole('heading', { name: 'Connect to a hub' })).toBeFocused();

  const expired = await world.token({ expiresInMs: 60_000 });
  world.hub.shiftClock(120_000);
  await page.getByLabel('Enrollment token').fill(expired);
  await page.getByRole('button', { name: 'Connect', exact: true }).click();
  await expect(page.getByTestId('hub-check')).toHaveText(/expired on .* ask the coordinator for a new one/);

  await page.getByLabel('Enrollment token').fill(await world.token());
  await page.getByLabel('Hub address (optional)').fill('http://127.0.0.1:1');
  await page.getByRole('button', { name: 'Connect', exact: true }).click();
  await expect(settings.problemBeside('hub-url')).toHaveText(/starts with https:\/\//);
  await expect(page.getByRole('alert')).toHaveCount(1);

  await page.getByLabel('Hub address (optional)').fill('');
  await page.getByRole('button', { name: 'Connect', exact: true }).click();
  await expect(settings.hubConnection).toContainText(
    `Connected to the hub "test hub" as "St Mary's Radiology"`,
    {
      timeout: 20_000,
    },
  );
  await page.reload();
  await expect(settings.hubConnection).toContainText('Connected to the hub "test hub"');
});
