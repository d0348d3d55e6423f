// Page object for Studies: import a folder, read the report, compare a header before and after.
import type { Locator, Page } from '@playwright/test';

export class StudiesPage {
  readonly heading: Locator;
  readonly folder: Locator;
  readonly importButton: Locator;
  readonly progress: Locator;
  readonly headline: Locator;
  readonly counts: Locator;
  readonly report: Locator;
  readonly reportSummary: Locator;
  readonly header: Locator;
  readonly headerTable: Locator;

  constructor(readonly page: Page) {
    this.heading = page.getByRole('heading', { level: 1, name: 'Studies' });
    this.folder = page.getByLabel('Folder on the agent’s computer');
    this.importButton = page.getByRole('button', { name: /^Import/ });
    this.progress = page.getByRole('progressbar', { name: 'Import progress' });
    this.headline = page.getByTestId('import-headline');
    this.counts = page.getByTestId('import-counts');
    this.report = page.getByRole('region', { name: 'De-identification report' });
    this.reportSummary = page.getByTestId('report-summary');
    this.header = page.getByRole('region', { name: 'Header before and after de-identification' });
    this.headerTable = this.header.getByRole('table');
  }

  async open(url: string): Promise<void> {
    await this.page.goto(url);
    await this.heading.waitFor();
  }

  async importFolder(folder: string): Promise<void> {
    await this.folder.fill(folder);
    await this.importButton.click();
  }

  /** The row of one attribute in the header table, by its keyword. */
  headerRow(keyword: string): Locator {
    return this.headerTable
      .getByRole('row')
      .filter({ has: this.page.getByRole('cell', { name: keyword, exact: true }) });
  }
}
