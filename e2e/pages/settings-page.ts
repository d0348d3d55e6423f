// Page object for Settings: this site, its hub, its de-identification and this computer's settings.
import type { Locator, Page } from '@playwright/test';

export class SettingsPage {
  readonly heading: Locator;
  readonly siteName: Locator;
  readonly saveSite: Locator;
  readonly saveComputer: Locator;
  readonly connectToHub: Locator;
  readonly hubConnection: Locator;

  constructor(readonly page: Page) {
    this.heading = page.getByRole('heading', { level: 1, name: 'Settings' });
    this.siteName = page.getByRole('textbox', { name: 'Site name' });
    this.saveSite = page.getByRole('button', { name: 'Save changes' });
    this.saveComputer = page.getByRole('button', { name: 'Save', exact: true });
    this.connectToHub = page.getByRole('button', { name: 'Connect to a hub' });
    this.hubConnection = page.getByTestId('hub-connection');
  }

  async open(url: string): Promise<void> {
    await this.page.goto(`${url}#/settings`);
    await this.heading.waitFor();
  }

  /** The problem shown beside a field (its id), as the field's description. */
  problemBeside(fieldId: string): Locator {
    return this.page.locator(`#${fieldId}-problem`);
  }

  /** One of this computer's settings, by its key (`app.notifications`). */
  setting(key: string): Locator {
    return this.page.locator(`[data-setting="${key}"]`);
  }
}
