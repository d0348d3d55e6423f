// Studies deserve pictures: each stored study as a card with a thumbnail the agent
// draws from the de-identified research copy; a held file has no card; no identifier reaches the page.
import { CT_SMALL, expect, identifiersOf, MR_SMALL, SC_SMALL, test } from './fixtures/records-site.ts';
import { StudiesPage } from './pages/studies-page.ts';

test('stored studies show as cards with a picture drawn from the de-identified copy', async ({
  page,
  records,
}) => {
  await records.session.agent.ingest(records.folderWith([CT_SMALL, MR_SMALL, SC_SMALL]));
  const studies = new StudiesPage(page);
  await studies.open(records.pageUrl('studies'));

  const list = page.getByRole('list', { name: 'Stored studies' });
  // The CT and the MR; the secondary capture is held for review, so it is not stored.
  await expect(list.getByRole('listitem')).toHaveCount(2);
  await expect(page.getByTestId('stored-count')).toContainText('2 studies, newest first.');
  for (const modality of ['CT', 'MR']) {
    const picture = list.getByRole('img', { name: new RegExp(`^Picture of study \\d \\(${modality}\\)$`) });
    await expect(picture).toBeVisible();
    await expect(picture).toHaveAttribute('src', /^data:image\/png;base64,/);
  }
  // Decoded, not broken images: the browser knows each picture's pixel size.
  const widths = await page.evaluate<number[]>(
    `[...document.querySelectorAll('ul[aria-label="Stored studies"] img')].map((img) => img.naturalWidth)`,
  );
  expect(widths).toHaveLength(2);
  for (const width of widths) expect(width).toBeGreaterThan(0);
  await expect(list.getByRole('listitem').first()).toContainText(/Patient\s*RF[0-9A-F]{16}/);

  const text = await page.locator('body').innerText();
  for (const value of [...identifiersOf(CT_SMALL), ...identifiersOf(MR_SMALL), 'DOE^JANE'])
    expect(text).not.toContain(value);
  await page.screenshot({ path: test.info().outputPath('stored-studies.png'), fullPage: true });
});
