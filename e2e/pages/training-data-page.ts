// Page object for Training data: the site's task form, the labels import and the cohort summary.
import type { Locator, Page } from '@playwright/test';

export class TrainingDataPage {
  readonly heading: Locator;
  readonly form: Locator;
  readonly labels: Locator;
  readonly cohort: Locator;

  constructor(readonly page: Page) {
    this.heading = page.getByRole('heading', { level: 1, name: 'Training data' });
    this.form = page.getByRole('region', { name: /Define a task|Change the task/ });
    this.labels = page.getByRole('region', { name: 'Import labels' });
    this.cohort = page.getByRole('region', { name: /^Cohort of/ });
  }

  async open(): Promise<void> {
    await this.page
      .getByRole('navigation', { name: 'Pages' })
      .getByRole('link', { name: 'Training data' })
      .click();
    await this.heading.waitFor();
  }

  /** Fills the task form; fields left out stay as they are. */
  async defineTask(task: {
    id: string;
    name: string;
    labels: string;
    modalities?: string;
    validationPercent?: number;
    seed?: number;
  }): Promise<void> {
    const form = this.form;
    await form.getByLabel('Task ID').fill(task.id);
    await form.getByLabel('Task name').fill(task.name);
    await form.getByLabel('Labels, in class order').fill(task.labels);
    if (task.modalities !== undefined) await form.getByLabel('Modalities').fill(task.modalities);
    if (task.validationPercent !== undefined)
      await form.getByLabel('Patients kept for validation (%)').fill(String(task.validationPercent));
    if (task.seed !== undefined) await form.getByLabel('Split seed').fill(String(task.seed));
    await form.getByRole('button', { name: 'Save the task' }).click();
  }

  async importLabels(file: string): Promise<void> {
    await this.labels.getByLabel(/^Labels file/).setInputFiles(file);
    await this.labels.getByRole('button', { name: 'Import labels' }).click();
  }

  /** The words shown beside a field of the task form (its accessible description). */
  fieldProblem(label: string): Locator {
    return this.form.getByLabel(label);
  }
}
