// Page object for Training & federation.
import type { Locator, Page } from '@playwright/test';

export class TrainingPage {
  readonly heading: Locator;
  /** The site's one status sentence (the dashboard and the tray say the same). */
  readonly status: Locator;
  /** Tasks that wait for a decision, shown first. */
  readonly waiting: Locator;
  /** The navigation's badge on Training. */
  readonly badge: Locator;

  constructor(readonly page: Page) {
    this.heading = page.getByRole('heading', { level: 1, name: 'Training & federation' });
    this.status = page.getByTestId('federation-running');
    this.waiting = page.getByRole('region', { name: 'Waiting for your decision' });
    this.badge = page.getByRole('navigation', { name: 'Pages' }).getByTestId('training-badge');
  }

  async open(): Promise<void> {
    await this.page
      .getByRole('navigation', { name: 'Pages' })
      .getByRole('link', { name: /^Training(?! data)/ })
      .click();
    await this.heading.waitFor();
  }

  /** A task's card, by its name. */
  task(name: string): Locator {
    return this.page.getByRole('article', { name });
  }

  /** A task's live progress section. */
  progress(name: string): Locator {
    return this.page.getByRole('region', { name: `Progress of ${name}` });
  }
}
