import { readFileSync } from 'node:fs';
import { recordUpdateSent } from '../main/site/audit/index.ts';
import { AuditPage } from './pages/audit-page.ts';
import {
  CT_SMALL,
  expect,
  identifiersOf,
  MR_SMALL,
  patientIdOf,
  SC_SMALL,
  test,
} from './fixtures/records-site.ts';

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
    await expect(audit.rows.first()).toContainText('Import finished: 1 file, 1 de-identified and stored.');

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
    await expect(audit.rows.first()).toContainText(`Audit log exported as CSV (${total} entries).`);
    // Unchanged columns: the sentence is the page's, not the export's.
    for (const line of lines.slice(1)) expect(line).not.toContain('Import finished');
  });

  test.describe('in a German locale, Berlin time', () => {
    test.use({ locale: 'de-DE', timezoneId: 'Europe/Berlin' });

    test('each entry is one sentence with its person; details behind a disclosure; the date in the locale with the ISO time in a tooltip', async ({
      page,
      records,
    }) => {
      const agent = records.session.agent;
      const sha256 = 'c0ffee'.repeat(10) + 'abcd';
      const sent = recordUpdateSent(agent.audit, 'Jane Doe (jdoe)', {
        taskId: 'task_lung',
        taskName: 'Lung nodule',
        hubName: 'North Hub',
        round: 7,
        baseVersion: 6,
        bytes: 612_345,
        sha256,
        compression: 'none',
        secureAggregation: true,
        differentialPrivacy: null,
        examples: 1,
      });
      const audit = new AuditPage(page);
      await audit.open(records.pageUrl('audit'));

      const row = audit.row("Update for round 7 of 'Lung nodule' sent to North Hub");
      await expect(row).toHaveCount(1);
      await expect(row.locator('.sentence')).toHaveText(
        "Update for round 7 of 'Lung nodule' sent to North Hub: 0.61 MB, secure aggregation on.",
      );
      await expect(row.getByRole('cell').last()).toHaveText('Jane Doe (jdoe)');

      // Details stay folded until asked for, then show the hash of what was sent and the entry's kind.
      const details = row.locator('details');
      await expect(details.getByText(sha256)).toBeHidden();
      await details.getByText('Details').click();
      await expect(details.getByText(sha256)).toBeVisible();
      await expect(details).toContainText('federation.update-sent');
      await details.getByText('Details').press('Enter');
      await expect(details.getByText(sha256)).toBeHidden();

      // The date: German format in Berlin time, the exact ISO time (UTC) in the tooltip.
      const when = row.locator('time');
      await expect(when).toHaveAttribute('title', sent.time);
      await expect(when).toHaveAttribute('datetime', sent.time);
      const expected = await page.evaluate(
        (iso) =>
          new Intl.DateTimeFormat('de-DE', {
            dateStyle: 'medium',
            timeStyle: 'short',
            timeZone: 'Europe/Berlin',
          }).format(new Date(iso)),
        sent.time,
      );
      await expect(when).toHaveText(expected);
      await expect(when).toHaveText(/^\d{2}\.\d{2}\.\d{4}, \d{2}:\d{2}$/);
      await when.hover();
      await page.screenshot({ path: test.info().outputPath('audit-sentences.png'), fullPage: true });
    });
  });

  test('no patient identifier in any sentence or detail, after imports, a held image and a withdrawal', async ({
    page,
    records,
  }) => {
    const agent = records.session.agent;
    await agent.ingest(records.folderWith([CT_SMALL, MR_SMALL, SC_SMALL]));
    await agent.consent.withdraw({ patientId: patientIdOf(CT_SMALL), date: '2026-01-05' });
    const audit = new AuditPage(page);
    await audit.open(records.pageUrl('audit'));
    await expect(audit.row('withdrew consent')).toHaveCount(1);
    await expect(audit.row('Import finished')).toContainText('held back for review');
    // Open every disclosure, so the details are on screen too.
    for (const summary of await page.getByText('Details', { exact: true }).all()) await summary.click();
    const text = await page.locator('body').innerText();
    for (const file of [CT_SMALL, MR_SMALL, SC_SMALL])
      for (const value of identifiersOf(file)) expect(text).not.toContain(value);
    expect(text).not.toContain('DOE^JANE'); // the import folder's name
  });
});
