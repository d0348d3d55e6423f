// Page object for the audit log: search, filter, page through, verify, export.
import type { Locator, Page } from '@playwright/test';

export class AuditPage {
  readonly heading: Locator;
  readonly words: Locator;
  readonly kind: Locator;
  readonly from: Locator;
  readonly to: Locator;
  readonly searchButton: Locator;
  readonly range: Locator;
  readonly chainStatus: Locator;
  readonly exportButton: Locator;
  readonly entries: Locator;
  readonly nextPage: Locator;
  /** One row per entry, newest first: when, the sentence with its details, by whom. */
  readonly rows: Locator;

  constructor(readonly page: Page) {
    this.heading = page.getByRole('heading', { level: 1, name: 'Audit log' });
    this.words = page.getByLabel('Words');
    this.kind = page.getByLabel('Kind of event');
    this.from = page.getByLabel('From');
    this.to = page.getByLabel('To');
    this.searchButton = page.getByRole('button', { name: 'Search' });
    this.range = page.getByTestId('audit-range');
    this.chainStatus = page.getByTestId('chain-status');
    this.exportButton = page.getByRole('button', { name: 'Export as CSV' });
    this.entries = page.getByRole('region', { name: 'Entries' }).getByRole('table');
    this.nextPage = page.getByRole('button', { name: 'Next page' });
    this.rows = page.getByTestId('audit-entry');
  }

  /** The row whose sentence contains `text`. */
  row(text: string | RegExp): Locator {
    return this.rows.filter({ hasText: text });
  }

  async open(url: string): Promise<void> {
    await this.page.goto(url);
    await this.heading.waitFor();
  }
}
