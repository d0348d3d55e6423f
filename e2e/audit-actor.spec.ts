// The name given in the setup wizard's last step is the person the audit log names for what is done
// from the screens (`radfed site ui` wiring: a session on an empty folder, the real local web UI).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { AuditLog } from '../main/site/audit/index.ts';
import { openSite } from '../main/site/store/index.ts';
import { SiteSession } from '../main/site/console/index.ts';
import { startSiteWebUi } from '../main/site/web-ui/index.ts';
import { e2eRendererDir } from './fixtures/renderer-dir.ts';
import { AuditPage } from './pages/audit-page.ts';
import { WizardPage } from './pages/wizard-page.ts';

test('the operator named at setup is the person in the audit log and on the Audit page', async ({ page }) => {
  const root = mkdtempSync(join(tmpdir(), 'radfed-e2e-actor-'));
  const siteDir = join(root, 'site');
  const session = await SiteSession.open(siteDir, {
    origin: 'site-ui',
    autoStartFederation: false,
    runStudySources: false,
  });
  const ui = await startSiteWebUi({
    rendererDir: e2eRendererDir(),
    agent: session.agentPort(),
    setup: session,
    federation: session.federation,
  });
  try {
    const wizard = new WizardPage(page);
    await wizard.open(ui.url);
    await wizard.siteName.fill('Actor Test Radiology');
    await wizard.next.click();
    await page.getByRole('checkbox', { name: /Connect to a hub later/ }).check();
    for (let step = 2; step <= 6; step++) {
      if (step === 4) await page.getByLabel(/Opt-out/).check();
      await wizard.next.click();
    }
    await expect(wizard.step(7, 'Summary')).toBeVisible();
    await page.getByLabel('Your name (optional)').fill('Amara Nwosu');
    await page.getByRole('button', { name: 'Set up this site' }).click();
    await expect(page.getByRole('heading', { name: 'The site is set up' })).toBeVisible();

    expect(JSON.parse(readFileSync(join(siteDir, 'site.json'), 'utf8'))).toMatchObject({
      operatorName: 'Amara Nwosu',
    });
    const site = openSite(siteDir);
    try {
      const actors = new AuditLog(site.database).list().map((e) => e.actor);
      expect(actors.length).toBeGreaterThan(0);
      expect(new Set(actors)).toEqual(new Set(['Amara Nwosu']));
    } finally {
      site.database.close();
    }
    await page.getByRole('button', { name: 'Open the dashboard' }).click();
    await page.getByRole('link', { name: 'Audit' }).click();
    const audit = new AuditPage(page);
    await audit.heading.waitFor();
    await expect(audit.row('Site created').getByRole('cell').last()).toHaveText('Amara Nwosu');
  } finally {
    await ui.close();
    await session.close();
    rmSync(root, { recursive: true, force: true });
  }
});
