// The review queue of held images in real Chromium against a real site agent: real files held by the
// real engine, their pictures rendered by the agent, released as is with a person's name, deleted,
// and no patient name or ID on the page or in any answer the agent sent.
import { join } from 'node:path';
import { writeHeldInputs, PATIENT_ID } from '../main/site/held/held-test-support.ts';
import { ReviewPage } from './pages/review-page.ts';
import { expect, test } from './fixtures/records-site.ts';

test.describe('Review page', () => {
  test('lists held images with their pictures, releases one as is with a name, deletes the other', async ({
    page,
    records,
  }) => {
    const answers: string[] = [];
    page.on('response', (response) => {
      if (response.url().includes('/api/'))
        void response.text().then(
          (t) => answers.push(t),
          () => undefined,
        );
    });
    const folder = join(records.root, 'MORIARTY JAMES export');
    writeHeldInputs(folder);
    await records.session.agent.ingest(folder);

    const review = new ReviewPage(page);
    await review.open(`${records.ui.url}#/review`);
    await expect(review.cards).toHaveCount(2);
    await expect(page.getByRole('link', { name: 'Review' })).toHaveAttribute('aria-current', 'page');

    const ct = review.card(/says it has text written into the picture/);
    const capture = review.card(/screenshot or other capture/);
    await expect(review.preview(ct)).toBeVisible();
    await expect(review.preview(capture)).toBeVisible();
    expect(await review.preview(ct).evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(128);
    await expect(ct.getByText('Technical detail')).toBeVisible();
    await expect(ct.getByText(/\(0028,0301\)/)).toBeHidden();

    await page.screenshot({ path: test.info().outputPath('review.png'), fullPage: true });
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.screenshot({ path: test.info().outputPath('review-dark.png'), fullPage: true });
    await page.emulateMedia({ colorScheme: 'light' });

    // Release as is: the name is asked for, beside its field, before anything happens.
    await review.choose(ct, 'Release as is');
    await review.confirmButton('Release as is').click();
    await expect(
      review.dialog.getByText('Write the name of the person who checked the picture.'),
    ).toBeVisible();
    await expect(review.cards).toHaveCount(2);
    await review.checkerName.fill('Ann Radiographer');
    await page.screenshot({ path: test.info().outputPath('review-confirm.png') });
    await review.confirmButton('Release as is').click();
    await expect(review.outcome).toHaveText('The image was de-identified and added to the research store.');
    await expect(review.cards).toHaveCount(1);

    // Delete, from the keyboard, confirmed.
    await capture.getByRole('button', { name: 'Delete' }).focus();
    await page.keyboard.press('Enter');
    await expect(review.dialog).toBeVisible();
    await review.confirmButton('Delete').click();
    await expect(review.outcome).toHaveText('The image was deleted.');
    await expect(page.getByText('No images are held.')).toBeVisible();

    const audit = records.session.agent.audit;
    expect(audit.list({ type: 'held.released' })[0]?.detail).toMatchObject({
      confirmedBy: 'Ann Radiographer',
    });
    expect(audit.list({ type: 'held.deleted' })).toHaveLength(1);

    const text = (await page.locator('body').innerText()) + answers.join('\n');
    expect(answers.length).toBeGreaterThan(3);
    expect(text).not.toContain('MORIARTY');
    expect(text).not.toContain(PATIENT_ID);
  });
});
