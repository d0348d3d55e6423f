import { StudiesPage } from './pages/studies-page.ts';
import { CT_SMALL, expect, identifiersOf, MR_SMALL, SC_SMALL, test } from './fixtures/records-site.ts';

test.describe('Studies page', () => {
  test('imports a folder with progress, reports what happened, and compares a header before and after', async ({
    page,
    records,
  }) => {
    const cspViolations: string[] = [];
    page.on('console', (message) => {
      if (message.text().includes('Content Security Policy')) cspViolations.push(message.text());
    });
    const studies = new StudiesPage(page);
    await studies.open(records.pageUrl('studies'));
    await expect(studies.reportSummary).toContainText('0 images stored');

    const folder = records.folderWith([CT_SMALL, MR_SMALL, SC_SMALL], { 'notes.txt': 'not a DICOM file' });
    await studies.importFolder(folder);

    await expect(studies.progress).toBeVisible();
    await expect(studies.headline).toHaveText('Import finished: 4 files');
    await expect(studies.progress).toHaveAttribute('value', '4');
    await expect(studies.counts).toHaveText('2 de-identified, 1 held for review, 1 not DICOM.');
    await expect(studies.reportSummary).toContainText(
      '2 images stored for research from 2 studies of 2 patients',
    );
    await expect(studies.report.getByRole('list', { name: 'Reasons files are held' })).toContainText(
      'burned-in text',
    );

    // Files are sorted by name: file 1 is the CT.
    await page.getByRole('button', { name: 'Show header of file 1' }).click();
    await expect(studies.header.getByTestId('header-sources')).toContainText(
      'Before: the source file. After: the stored de-identified file.',
    );
    const name = studies.headerRow('PatientName');
    await expect(name.getByRole('cell').nth(3)).toHaveText('Replaced');
    await expect(name.getByRole('cell').nth(4)).toHaveText(/^•••••• \(\d+ characters\)$/);
    await expect(name.getByRole('cell').nth(5)).toHaveText(/^RF[0-9A-F]{16}$/);
    await expect(studies.headerRow('Modality').getByRole('cell').nth(4)).toHaveText('CT');

    // No identifying value of the source file, nor the folder's name, is anywhere on the page.
    const text = await page.locator('body').innerText();
    for (const value of [...identifiersOf(CT_SMALL), 'DOE^JANE', '7654321'])
      expect(text).not.toContain(value);
    expect(cspViolations).toEqual([]);

    await page.screenshot({ path: test.info().outputPath('studies.png'), fullPage: true });
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.screenshot({ path: test.info().outputPath('studies-dark.png'), fullPage: true });
  });

  test('shows a held file from its quarantine copy, from the keyboard', async ({ page, records }) => {
    await records.session.agent.ingest(records.folderWith([SC_SMALL]));
    const studies = new StudiesPage(page);
    await studies.open(records.pageUrl('studies'));

    const show = page.getByRole('button', { name: 'Show header of held file 1' });
    await show.focus();
    await page.keyboard.press('Enter');
    await expect(studies.header).toBeFocused();
    await expect(studies.header.getByTestId('header-sources')).toContainText(
      'the identified copy kept in quarantine',
    );
    await expect(studies.headerRow('PatientID').getByRole('cell').nth(5)).toHaveText(/^RF[0-9A-F]{16}$/);
    const text = await page.locator('body').innerText();
    for (const value of identifiersOf(SC_SMALL)) expect(text).not.toContain(value);

    await page.getByLabel(/Only attributes de-identification changed/).check();
    await expect(studies.headerRow('Modality')).toHaveCount(0);
  });

  test('says in words when the folder does not exist', async ({ page, records }) => {
    const studies = new StudiesPage(page);
    await studies.open(records.pageUrl('studies'));
    await studies.importFolder(`${records.root}/no such folder`);
    await expect(page.getByRole('alert')).toContainText('That folder does not exist');
  });
});
