// Page object for the review queue of held images: each card with its picture, reason and actions,
// and the one confirmation dialog.
import type { Locator, Page } from '@playwright/test';

export class ReviewPage {
  readonly heading: Locator;
  readonly cards: Locator;
  readonly outcome: Locator;
  readonly dialog: Locator;
  readonly checkerName: Locator;

  constructor(readonly page: Page) {
    this.heading = page.getByRole('heading', { level: 1, name: 'Review held images' });
    this.cards = page.getByTestId('held-file');
    this.outcome = page.getByTestId('review-outcome');
    this.dialog = page.getByRole('dialog');
    this.checkerName = this.dialog.getByLabel('Your name (the person who checked the picture)');
  }

  async open(url: string): Promise<void> {
    await this.page.goto(url);
    await this.heading.waitFor();
  }

  /** The card whose plain reason contains `words`. */
  card(words: string | RegExp): Locator {
    return this.cards.filter({ has: this.page.getByTestId('held-reason').filter({ hasText: words }) });
  }

  preview(card: Locator): Locator {
    return card.getByTestId('held-preview');
  }

  /** Clicks an action of a card and waits for its confirmation. */
  async choose(card: Locator, action: 'Clean and release' | 'Release as is' | 'Delete'): Promise<void> {
    await card.getByRole('button', { name: action }).click();
    await this.dialog.waitFor();
  }

  confirmButton(action: string): Locator {
    return this.dialog.getByRole('button', { name: action });
  }
}
