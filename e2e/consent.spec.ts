import { recordParticipation } from '../main/site/federation/index.ts';
import { ConsentPage } from './pages/consent-page.ts';
import { CT_SMALL, expect, MR_SMALL, patientIdOf, test } from './fixtures/records-site.ts';

test.describe('Consent page', () => {
  test('imports a consent export and lists patients by pseudonym only', async ({ page, records }) => {
    const consent = new ConsentPage(page);
    await consent.open(records.pageUrl('consent'));
    await expect(page.getByTestId('consent-policy')).toContainText('Opt-out');

    const ids = [patientIdOf(CT_SMALL), 'QX-440012'];
    await consent.csvFile.setInputFiles({
      name: 'consent-export.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(
        `patient_id,status,date\n${ids[0]},granted,2024-01-10\n${ids[1]},refused,2024-02-01\n`,
      ),
    });
    await consent.importButton.click();
    await expect(consent.importResult).toHaveText(
      /Imported 2 rows: 2 new entries \(1 granted, 1 refused, 0 withdrawn\)/,
    );
    await expect(consent.register.getByRole('table')).toContainText('2 of 2 patients');
    const text = await page.locator('body').innerText();
    for (const id of ids) expect(text).not.toContain(id);
  });

  test('reports each problem of a bad consent file by line, and imports nothing', async ({
    page,
    records,
  }) => {
    const consent = new ConsentPage(page);
    await consent.open(records.pageUrl('consent'));
    await consent.csvFile.setInputFiles({
      name: 'bad.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from('patient_id,status,date\nAB-1,granted,2024-01-10\nAB-2,perhaps,2024-01-11\n'),
    });
    await consent.importButton.click();
    await expect(consent.importResult).toContainText('nothing was imported');
    await expect(consent.importResult.getByRole('list', { name: 'Problems by line' })).toContainText(
      'Line 3:',
    );
    await expect(consent.register).toContainText('The register is empty');
  });

  test('withdraws a patient after a confirmation that says what will be purged', async ({
    page,
    records,
  }) => {
    await records.session.agent.ingest(records.folderWith([CT_SMALL, MR_SMALL]));
    const patientId = patientIdOf(CT_SMALL);
    const consent = new ConsentPage(page);
    await consent.open(records.pageUrl('consent'));

    await consent.patientId.fill(patientId);
    await consent.reviewWithdrawal.click();
    await expect(consent.confirmation).toBeVisible();
    await expect(consent.confirmation).toContainText(
      'Delete 1 de-identified study (1 image) from the research store.',
    );
    await expect(consent.confirmation).toContainText('Keep this patient out of every later import');
    await page.screenshot({
      path: test.info().outputPath('consent-withdraw-confirmation.png'),
      fullPage: true,
    });

    await consent.confirmation.getByRole('button', { name: 'Withdraw and purge' }).click();
    await expect(consent.confirmation).toBeHidden();
    await expect(consent.withdrawResult).toContainText('withdrawal recorded; purged 1 study (1 image)');
    await expect(consent.patientId).toHaveValue('');
    expect(records.session.agent.status().counts.instances).toBe(1);

    const pseudonym = (await consent.withdrawResult.locator('code').innerText()).trim();
    const row = consent.registerRow(pseudonym);
    await expect(row).toContainText('Out (withdrawn)');
    await row.getByRole('button', { name: `Show history of ${pseudonym}` }).click();
    await expect(consent.history.getByTestId('history-summary')).toContainText(
      'The site holds 0 studies (0 images)',
    );
    await expect(consent.history.getByRole('table')).toContainText('withdrawn');
    expect(await page.locator('body').innerText()).not.toContain(patientId);
    await page.screenshot({ path: test.info().outputPath('consent.png'), fullPage: true });
  });

  test('Cancel (or Escape) in the confirmation changes nothing', async ({ page, records }) => {
    await records.session.agent.ingest(records.folderWith([CT_SMALL]));
    const consent = new ConsentPage(page);
    await consent.open(records.pageUrl('consent'));
    await consent.patientId.fill(patientIdOf(CT_SMALL));
    await consent.patientId.press('Enter');
    await expect(consent.confirmation).toBeVisible();
    await page.keyboard.press('Escape');
    await expect(consent.confirmation).toBeHidden();
    expect(records.session.agent.status().counts.instances).toBe(1);
  });

  test('History shows a patient whose data two tasks used (round 1 of each), dates in one format', async ({
    page,
    records,
  }) => {
    const agent = records.session.agent;
    await agent.ingest(records.folderWith([CT_SMALL]));
    const patientId = patientIdOf(CT_SMALL);
    await agent.consent.set({ patientId, status: 'granted', date: '2024-01-10' });
    const { pseudonym } = agent.consent.show({ patientId });
    // Round numbers restart with each task: both tasks have a round "1" that used this patient.
    for (const [taskId, completedAt] of [
      ['task-lung', '2026-11-02T09:15:00.000Z'],
      ['task-fracture', '2026-11-20T16:40:00.000Z'],
    ] as const) {
      recordParticipation(agent.site.database, { taskId, round: 1, patients: [pseudonym], completedAt });
    }
    // This site approved the first task (its name is in the audit log); the other it never approved here.
    agent.audit.append({
      type: 'federation.task-approved',
      actor: 'Jane Doe',
      detail: { taskId: 'task-lung', taskName: 'Lung nodule' },
    });
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    const consent = new ConsentPage(page);
    await consent.open(records.pageUrl('consent'));
    await consent
      .registerRow(pseudonym)
      .getByRole('button', { name: `Show history of ${pseudonym}` })
      .click();

    await expect(consent.history.getByTestId('history-summary')).toContainText(pseudonym);
    const rounds = consent.history.getByTestId('history-rounds').getByRole('listitem');
    await expect(rounds).toHaveCount(2);
    await expect(rounds.nth(0)).toContainText("'Lung nodule', round 1");
    await expect(rounds.nth(1)).toContainText('task task-fracture, round 1');
    // Every date on the page: the locale's format, the ISO value in the tooltip.
    const completed = rounds.nth(0).locator('time');
    await expect(completed).toHaveAttribute('title', '2026-11-02T09:15:00.000Z');
    await expect(completed).not.toHaveText(/2026-11-02/);
    const consentDate = consent.history.getByRole('table').locator('time').first();
    await expect(consentDate).toHaveAttribute('title', '2024-01-10');
    const shown = await page.evaluate(() =>
      new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeZone: 'UTC' }).format(
        new Date(Date.UTC(2024, 0, 10)),
      ),
    );
    await expect(consentDate).toHaveText(shown);
    expect(errors).toEqual([]);
    expect(await page.locator('body').innerText()).not.toContain(patientId);
    await page.screenshot({ path: test.info().outputPath('consent-history-two-tasks.png'), fullPage: true });
  });
});
