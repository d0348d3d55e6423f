// Page object for Consent: import an export, withdraw a patient, read the register and a history.
import type { Locator, Page } from '@playwright/test';

export class ConsentPage {
  readonly heading: Locator;
  readonly csvFile: Locator;
  readonly importButton: Locator;
  readonly importResult: Locator;
  readonly patientId: Locator;
  readonly reviewWithdrawal: Locator;
  readonly confirmation: Locator;
  readonly withdrawResult: Locator;
  readonly register: Locator;
  readonly history: Locator;

  constructor(readonly page: Page) {
    this.heading = page.getByRole('heading', { level: 1, name: 'Consent' });
    this.csvFile = page.getByLabel(/Consent export/);
    this.importButton = page
      .getByRole('region', { name: 'Import a consent export' })
      .getByRole('button', { name: /^Import/ });
    this.importResult = page.getByTestId('consent-import-result');
    this.patientId = page.getByLabel(/Patient ID/);
    this.reviewWithdrawal = page.getByRole('button', { name: 'Review withdrawal…' });
    this.confirmation = page.getByRole('dialog');
    this.withdrawResult = page.getByTestId('withdraw-result');
    this.register = page.getByRole('region', { name: 'Register' });
    this.history = page.getByRole('region', { name: 'History' });
  }

  async open(url: string): Promise<void> {
    await this.page.goto(url);
    await this.heading.waitFor();
  }

  registerRow(pseudonym: string): Locator {
    return this.register.getByRole('row').filter({ hasText: pseudonym });
  }
}
