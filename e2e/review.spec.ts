// The review queue of held images in real Chromium against a real site agent: real files held by the
// real engine, their pictures rendered by the agent, released as is with a person's name, deleted,
// and no patient name or ID on the page or in any answer the agent sent.
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { readSiteConfig } from '../main/site/store/index.ts';
import { identifiedCopy, writeHeldInputs, PATIENT_ID } from '../main/site/held/held-test-support.ts';
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
    writeFileSync(join(folder, 'mr-burned-in.dcm'), identifiedCopy('MR_small.dcm', 'YES'));
    await records.session.agent.ingest(folder);

    const review = new ReviewPage(page);
    await review.open(`${records.ui.url}#/review`);
    await expect(review.cards).toHaveCount(3);
    await expect(page.getByRole('link', { name: 'Review' })).toHaveAttribute('aria-current', 'page');

    const [ct, mr] = [
      review.card(/says it has text written/).first(),
      review.card(/says it has text written/).last(),
    ];
    const capture = review.card(/screenshot or other capture/);
    await expect(review.preview(ct)).toBeVisible();
    await expect(review.preview(capture)).toBeVisible();
    expect(
      await review.preview(ct).evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth),
    ).toBe(128);
    await expect(ct.getByText('Technical detail')).toBeVisible();
    await expect(ct.getByText(/\(0028,0301\)/)).toBeHidden();

    await page.screenshot({ path: test.info().outputPath('review.png'), fullPage: true });
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.screenshot({ path: test.info().outputPath('review-dark.png'), fullPage: true });
    await page.emulateMedia({ colorScheme: 'light' });

    // Clean and release: real OCR in the agent, a second reading, then de-identification.
    await review.choose(mr, 'Clean and release');
    await review.confirmButton('Clean and release').click();
    await expect(review.outcome).toHaveText(
      'The image was cleaned, de-identified and added to the research store.',
    );
    await expect(review.cards).toHaveCount(2);

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

    // The site's rule for such images, saved from the page.
    await page.getByLabel('Clean it automatically').check();
    await page.getByRole('button', { name: 'Save choice' }).click();
    await expect(page.getByText('Saved. It applies to the next images imported or received.')).toBeVisible();
    expect(readSiteConfig(records.session.agent.site.paths).heldFilePolicy).toBe('clean-automatically');

    const audit = records.session.agent.audit;
    expect(audit.list({ type: 'held.released' }).map((e) => e.detail)).toContainEqual(
      expect.objectContaining({
        confirmedBy: 'Ann Radiographer',
      }),
    );
    expect(audit.list({ type: 'held.deleted' })).toHaveLength(1);
    expect(audit.list({ type: 'held.released' })).toHaveLength(2);

    const text = (await page.locator('body').innerText()) + answers.join('\n');
    expect(answers.length).toBeGreaterThan(3);
    expect(text).not.toContain('MORIARTY');
    expect(text).not.toContain(PATIENT_ID);
  });
});
