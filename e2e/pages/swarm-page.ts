// Page object for the Swarm page: what is happening, the record's check, the members and the rounds.
import type { Locator, Page } from '@playwright/test';

export class SwarmPage {
  readonly heading: Locator;
  readonly membership: Locator;
  readonly now: Locator;
  readonly ledger: Locator;
  readonly members: Locator;
  readonly rounds: Locator;
  readonly none: Locator;

  constructor(readonly page: Page) {
    this.heading = page.getByRole('heading', { level: 1, name: 'Swarm' });
    this.membership = page.getByTestId('swarm-membership');
    this.now = page.getByTestId('swarm-now');
    this.ledger = page.getByTestId('swarm-ledger');
    this.members = page.getByTestId('swarm-members');
    this.rounds = page.getByTestId('swarm-rounds');
    this.none = page.getByTestId('swarm-none');
  }

  async open(siteUrl: string): Promise<void> {
    await this.page.goto(`${siteUrl}#/swarm`);
    await this.heading.waitFor();
  }
}
