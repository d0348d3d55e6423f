// The hub dashboard as a coordinator sees it: sign-in, the navigation, and the parts tests look at,
// found by role and label (which also checks that every control is labelled).
import type { Locator, Page } from '@playwright/test';

export class HubDashboardPage {
  constructor(readonly page: Page) {}

  async signIn(baseUrl: string, user: string, password: string): Promise<void> {
    await this.page.goto(`${baseUrl}/dashboard/`);
    await this.page.getByLabel('Coordinator name').fill(user);
    await this.page.getByLabel('Password').fill(password);
    await this.page.getByRole('button', { name: 'Sign in' }).click();
  }

  nav(name: 'Overview' | 'Sites' | 'Enrollment tokens' | 'Tasks'): Locator {
    return this.page.getByRole('navigation', { name: 'Dashboard' }).getByRole('link', { name });
  }

  get heading(): Locator {
    return this.page.getByRole('heading', { level: 1 });
  }

  table(name: string): Locator {
    return this.page.getByRole('table', { name });
  }

  row(table: string, name: string | RegExp): Locator {
    return this.table(table)
      .getByRole('row')
      .filter({ has: this.page.getByRole('rowheader', { name }) });
  }

  /** A field of the new-task form, by its label. */
  field(label: string | RegExp): Locator {
    return this.page.getByLabel(label, { exact: typeof label === 'string' });
  }

  /** Fills the new-task form's fields, by label. */
  async fillTask(fields: Record<string, string>): Promise<void> {
    for (const [label, value] of Object.entries(fields)) await this.field(label).fill(value);
  }

  /** Follows an action's link to its confirmation page and confirms it with the button named. */
  async confirm(link: string | RegExp, button: string): Promise<void> {
    await this.page.getByRole('link', { name: link }).click();
    await this.page.getByRole('button', { name: button }).click();
  }

  /** The sentence an action left on the next page. */
  get notice(): Locator {
    return this.page.locator('main .notice[role="status"]');
  }
}
