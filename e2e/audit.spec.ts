import { readFileSync } from 'node:fs';
import { AuditPage } from './pages/audit-page.ts';
import { CT_SMALL, expect, test } from './fixtures/records-site.ts';

test.describe('Audit page', () => {
  test('searches, filters, pages through, verifies and exports the log as CSV', async ({ page, records }) => {
    const agent = records.session.agent;
    await agent.ingest(records.folderWith([CT_SMALL]));
    for (let i = 1; i <= 30; i++) {
      agent.audit.append({ type: 'test.marker', actor: 'e2e', detail: { marker: i } });
    }
    const total = agent.audit.list().length;
    const audit = new AuditPage(page);
    await audit.open(records.pageUrl('audit'));

    await expect(audit.chainStatus).toHaveText(
      `Intact: all ${total} entries are linked and unchanged since they were written.`,
    );
    await expect(audit.range).toHaveText(`Entries 1–25 of ${total}`);
    await audit.nextPage.click();
    await expect(audit.range).toHaveText(`Entries 26–${total} of ${total}`);

    await audit.kind.selectOption('ingest.completed');
    await audit.searchButton.click();
    await expect(audit.range).toHaveText('Entries 1–1 of 1');
    await expect(audit.entries).toContainText('deidentified: 1');

    await audit.kind.selectOption('');
    await audit.words.fill('marker: 17');
    await audit.words.press('Enter');
    await expect(audit.range).toHaveText('No entries match.');
    await audit.words.fill('"marker":17');
    await audit.searchButton.click();
    await expect(audit.range).toHaveText('Entries 1–1 of 1');

    await audit.words.fill('');
    await audit.from.fill('2999-01-01');
    await audit.searchButton.click();
    await expect(audit.range).toHaveText('No entries match.');
    await audit.from.fill('');
    await audit.searchButton.click();
    await page.screenshot({ path: test.info().outputPath('audit.png'), fullPage: true });

    const download = page.waitForEvent('download');
    await audit.exportButton.click();
    const file = await download;
    expect(file.suggestedFilename()).toMatch(/^radfed-audit-\d{4}-\d{2}-\d{2}\.csv$/);
    const saved = test.info().outputPath(file.suggestedFilename());
    await file.saveAs(saved);
    const lines = readFileSync(saved, 'utf8').trimEnd().split('\r\n');
    expect(lines[0]).toBe('seq,time,actor,type,detail,prev_hash,hash');
    expect(lines).toHaveLength(total + 1);
    // The export is itself recorded, and the page shows it.
    await expect(audit.entries.getByRole('row').nth(1)).toContainText('audit.exported');
  });
});
