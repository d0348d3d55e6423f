// A task with patient-level differential privacy on the site's Training page, in real Chromium against
// a real site agent and hub: the card and the approval dialog say what is protected (each patient),
// how a round trains (steps on a random sample of patients, not batches of the task's size), the
// budget per patient and the expected cost, in plain words; the numbers behind them (σ, q, the
// noise-to-signal rule) sit in a "Technical detail" disclosure.
import type { Page } from '@playwright/test';
import { findJargon } from '../renderer/src/lib/jargon.ts';
import { expect, test, type Journey } from './fixtures/site-journey.ts';
import { StudiesPage } from './pages/studies-page.ts';
import { TrainingDataPage } from './pages/training-data-page.ts';
import { TrainingPage } from './pages/training-page.ts';

test.use({ ignoreHTTPSErrors: true });

const patientDp = (noiseMultiplier: number, samplingRate: number, epsilon: number) => ({
  secureAggregation: false,
  differentialPrivacy: {
    unit: 'patient' as const,
    l2NormClip: 1,
    noiseMultiplier,
    samplingRate,
    // A δ below a millionth: the screen must not print it as 1e-7.
    budget: { epsilon, delta: 1e-7 },
  },
});

/** Words a radiographer should not meet outside the technical disclosure, besides jargon.ts's patterns. */
const TECHNICAL = /docs\/|σ\/\(q·N\)|σ√d|ρ|L2 norm|DP-SGD|Gaussian|gradient/;

async function siteWithLabelledStudies(journey: Journey, page: Page) {
  await journey.session.finish({
    siteName: 'Patient DP Hospital',
    hub: { token: await journey.enrollmentToken() },
    studies: { kind: 'folder' },
    consentPolicy: 'opt-out',
    deidOptions: [],
  });
  // Enough patients for the viable task below (reference-cnn at ε = 100 needs 38 training patients).
  const hospital = await journey.writeStudies(64);
  await page.goto(journey.ui.url);
  const studies = new StudiesPage(page);
  await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Studies' }).click();
  await studies.heading.waitFor();
  await studies.importFolder(hospital.folder);
  await expect(studies.headline).toHaveText(/^Import finished/, { timeout: 120_000 });
  const data = new TrainingDataPage(page);
  await data.open();
  await data.defineTask({ id: 'chest-nodule', name: 'Lung nodule', labels: 'normal, nodule' });
  await expect(page.getByTestId('task-saved')).toBeVisible();
  await data.importLabels(hospital.labelsCsv);
  await expect(page.getByTestId('labels-result')).toBeVisible();
}

test('a patient-level DP task reads in plain words on its card and in the approval dialog', async ({
  page,
  journey,
}) => {
  test.setTimeout(240_000);
  await siteWithLabelledStudies(journey, page);
  // Realistic settings that this small site must refuse, and settings it can take part in.
  // (Two local epochs, as the journey's tasks have: q = 0.2 makes 10 steps a round.)
  await journey.createHubTask({ name: 'Nodules, per patient', rounds: 20, privacy: patientDp(2, 0.2, 10) });
  // resnet-small, T = 20 rounds × 10 steps: ρ = σ√d/(q·N·√T) ≤ 1 needs 391 training patients.
  // reference-cnn (d = 97 410), one step with every patient, σ = 0.12 (ε = 84 of 100): 38 patients suffice.
  await journey.createHubTask({
    name: 'Nodules, small site',
    rounds: 1,
    localEpochs: 1,
    model: { name: 'reference-cnn' },
    privacy: patientDp(0.12, 1, 100),
  });
  const training = new TrainingPage(page);
  await training.open();

  const refused = training.task('Nodules, per patient');
  await expect(refused.getByRole('region', { name: 'How each patient is protected' })).toContainText(
    'so this site refuses the task; it needs at least 391 training patients',
  );
  // The privacy lines have their own section: not listed under what leaves the site.
  await expect(refused.getByRole('region', { name: 'What leaves this site' })).not.toContainText(
    'Privacy budget',
  );
  await page.screenshot({ path: test.info().outputPath('patient-dp-cards.png'), fullPage: true });

  for (const card of [refused, training.task('Nodules, small site')]) {
    const text = await card.innerText();
    expect(findJargon(text), text).toEqual([]);
    expect(text).not.toMatch(TECHNICAL);
    expect(text).not.toContain('batches of 8');
    expect(text).toContain('random sample of patients');
    expect(text).toContain('each patient');
    await expect(card.getByTestId('privacy-budget')).toHaveText(
      /^At most ε = (10|100) for each patient \(δ = 0\.0000001\) over the whole task\.$/,
    );
    // The numbers are one press away, for whoever asks.
    const detail = card
      .getByRole('region', { name: 'How each patient is protected' })
      .locator('details.technical');
    await detail.getByText('Technical detail').click();
    await expect(detail).toContainText('σ = ');
  }

  const card = training.task('Nodules, small site');
  await card.getByRole('button', { name: 'Approve this task' }).click();
  const dialog = page.getByRole('dialog', { name: 'Approve "Nodules, small site"?' });
  await expect(dialog.getByRole('heading', { name: 'How each patient is protected' })).toBeVisible();
  const words = await dialog.innerText();
  expect(findJargon(words), words).toEqual([]);
  expect(words).not.toMatch(TECHNICAL);
  expect(words).toMatch(/random sample of patients/);
  await page.screenshot({ path: test.info().outputPath('patient-dp-approve.png') });
  await dialog.getByRole('button', { name: 'Approve and take part' }).click();
  await expect(card.getByTestId('decision')).toHaveText(/^Approved .* by /);

  // The task this site is too small for says so on its card, in words, and cannot be approved.
  const refusal = refused.getByTestId('task-refusal');
  await expect(refusal).toHaveText(
    /^This site cannot take part: with this site’s \d+ training patients for it, the noise that protects each patient would drown what the model learns\. It needs at least 391 training patients here/,
  );
  const said = await refusal.innerText();
  expect(findJargon(said), said).toEqual([]);
  expect(said).not.toMatch(TECHNICAL);
  await expect(refused.getByRole('button', { name: 'Approve this task' })).toHaveAttribute(
    'aria-disabled',
    'true',
  );
  await refused.getByRole('button', { name: 'Approve this task' }).click({ force: true });
  await expect(page.getByRole('dialog', { name: 'Approve "Nodules, per patient"?' })).toBeHidden();
  await page.screenshot({ path: test.info().outputPath('patient-dp-refused.png'), fullPage: true });
});
