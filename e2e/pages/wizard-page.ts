// Page object for the setup wizard: what a person sees and does there, in their words.
import type { Locator, Page } from '@playwright/test';

export class WizardPage {
  readonly heading: Locator;
  readonly stepTitle: Locator;
  readonly next: Locator;
  readonly back: Locator;
  readonly problem: Locator;
  readonly siteName: Locator;
  readonly token: Locator;
  readonly hubAddress: Locator;
  readonly checkConnection: Locator;
  /** The hub check's one current answer (green or red). */
  readonly hubCheck: Locator;

  constructor(readonly page: Page) {
    this.heading = page.getByRole('heading', { level: 1, name: 'Set up this RadFed site' });
    this.stepTitle = page.getByRole('heading', { level: 2, name: /^Step \d of \d:/ });
    this.next = page.getByRole('button', { name: 'Next' });
    this.back = page.getByRole('button', { name: 'Back' });
    this.problem = page.getByRole('alert');
    this.siteName = page.getByRole('textbox', { name: 'Site name' });
    this.token = page.getByLabel('Enrollment token');
    this.hubAddress = page.getByLabel('Hub address (optional)');
    this.checkConnection = page.getByRole('button', { name: 'Check the connection' });
    this.hubCheck = page.getByTestId('hub-check');
  }

  async open(url: string): Promise<void> {
    await this.page.goto(url);
    await this.heading.waitFor();
  }

  step(number: number, title: string): Locator {
    return this.page.getByRole('heading', { level: 2, name: `Step ${number} of 7: ${title}` });
  }

  /** The problem shown beside a field (its id), as the field's description. */
  problemBeside(fieldId: string): Locator {
    return this.page.locator(`#${fieldId}-problem`);
  }
}
