// Page object for the dashboard: what a person sees and does there, in their words.
import type { Locator, Page } from '@playwright/test';

export class DashboardPage {
  readonly heading: Locator;
  readonly summary: Locator;
  readonly refreshButton: Locator;
  readonly studies: Locator;
  readonly thisSite: Locator;
  readonly problem: Locator;
  readonly checklist: Locator;
  /** The site's one status sentence. */
  readonly status: Locator;

  constructor(readonly page: Page) {
    this.heading = page.getByRole('heading', { level: 1, name: 'Dashboard' });
    this.studies = page.getByRole('region', { name: 'Studies' });
    this.summary = this.studies.getByTestId('status-summary');
    this.refreshButton = page.getByRole('button', { name: /Refresh/ });
    this.thisSite = page.getByRole('region', { name: 'This site' });
    this.problem = page.getByRole('alert');
    this.checklist = page.getByRole('region', { name: /Getting started|Consent and imports/ });
    this.status = page.getByTestId('glance-status');
  }

  async open(url: string): Promise<void> {
    await this.page.goto(url);
    await this.heading.waitFor();
  }

  /** The number shown under a count's label, e.g. count('Images'). */
  count(label: string): Locator {
    return this.studies.locator(`dt:text-is("${label}") + dd`);
  }

  /** The value beside a fact in "This site", e.g. fact('Consent policy'). */
  fact(label: string): Locator {
    return this.thisSite.locator(`dt:text-is("${label}") + dd`);
  }
}
