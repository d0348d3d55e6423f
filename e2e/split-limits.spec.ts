// Split learning's leakage limits on the Settings page against a real site agent (e2e/fixtures/
// setup-world.ts): a value out of range is refused beside its field, a limit is saved and shown after a
// reload, and a limit IT locked is shown read-only and kept by the agent.
import { expect, test } from './fixtures/setup-world.ts';
import { SettingsPage } from './pages/settings-page.ts';

const IMAGE_LIMIT = 'Refuse when images could be rebuilt this closely (0 to 1)';
const LABEL_LIMIT = 'Refuse when the labels could be read this well (0.5 to 1)';

test('the limits are checked beside their field, saved, and shown again', async ({ page, world }) => {
  const settings = new SettingsPage(page);
  await settings.open(await world.open({ site: 'North General' }));
  const image = page.getByLabel(IMAGE_LIMIT);
  const labels = page.getByLabel(LABEL_LIMIT);
  const save = page.getByRole('button', { name: 'Save limits' });
  await expect(image).toHaveValue('');
  await expect(page.getByTestId('split-limits-summary')).toContainText('No limit is set');

  await image.fill('1.5');
  await save.click();
  await expect(settings.problemBeside('split-limit-maxImageSsim')).toHaveText(
    'The limit on how closely images can be rebuilt must be a number from 0 to 1 (for example 0.5), or left empty for no limit.',
  );

  await image.fill('0,4');
  await labels.fill('0.8');
  await save.click();
  await expect(page.getByText('Saved.')).toBeVisible();
  await expect(settings.problemBeside('split-limit-maxImageSsim')).toHaveCount(0);
  await page.reload();
  await expect(page.getByLabel(IMAGE_LIMIT)).toHaveValue('0.4');
  await expect(page.getByLabel(LABEL_LIMIT)).toHaveValue('0.8');
  await expect(page.getByTestId('split-limits-summary')).toContainText(
    'refused when images could be rebuilt more closely than 0.4',
  );
});

test('a limit IT locked is read-only, and the agent keeps it', async ({ page, world }) => {
  const settings = new SettingsPage(page);
  const url = await world.open({ site: 'North General', locked: { 'split.maxImageSsim': 0.3 } });
  await settings.open(url);
  const image = page.getByLabel(IMAGE_LIMIT);
  await expect(image).toHaveValue('0.3');
  await expect(image).toHaveAttribute('readonly', '');
  await expect(settings.setting('maxImageSsim')).toContainText('Locked by your IT department');
  await expect(page.getByLabel(LABEL_LIMIT)).not.toHaveAttribute('readonly');

  const response = await page.request.post(new URL('/api/invoke', url).toString(), {
    headers: { Authorization: `Bearer ${new URL(url).searchParams.get('token')}` },
    data: { channel: 'settings:set-split-limits', payload: { maxImageSsim: 0.9, maxLabelAuc: null } },
  });
  expect(await response.json()).toMatchObject({ ok: false, error: { code: 'setting-locked' } });
  await page.reload();
  await expect(page.getByLabel(IMAGE_LIMIT)).toHaveValue('0.3');
});
