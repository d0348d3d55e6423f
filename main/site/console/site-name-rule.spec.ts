// One rule for a site's name (shared/site-name.ts), the same in every place a name is typed or received:
// `radfed site init`, the agent's setup (wizard and Settings), IT's settings, the hub's enrollment and
// the wizard's first step. A name allowed in one place is allowed in all, so "St Mary's Radiology" can
// no longer pass step 1 and be refused at the hub after the site was made.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { siteNameSchema } from '../../../shared/federation/index.ts';
import { checkSettingValue } from '../../app/settings/index.ts';
import { emptyAnswers, stepProblem } from '../../../renderer/src/pages/wizard/wizard-model.ts';
import { initSite, readSiteConfig, sitePaths } from '../store/index.ts';
import { applySetup, readSetupState, SiteSetupError } from './site-setup.ts';

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'radfed-site-name-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const ALLOWED = ["St Mary's Radiology", 'Hôpital Saint-Éloi', 'St Mary\u2019s – North'];
const REFUSED = ['North\nHospital', 'North/South', 'x'.repeat(101), '\u202eNorth'];

function wizardAllows(name: string): boolean {
  return stepProblem('site', { ...emptyAnswers(), siteName: name }) === null;
}

const setupRequest = (siteName: string) => ({
  siteName,
  hub: null,
  studies: { kind: 'folder' as const },
  consentPolicy: 'opt-out' as const,
  deidOptions: [],
});

describe('the site name rule, everywhere', () => {
  it.each(ALLOWED)('allows %s in the wizard, site init, setup, settings and at the hub', async (name) => {
    expect(wizardAllows(name)).toBe(true);
    expect(siteNameSchema.safeParse(name).success).toBe(true);
    expect(checkSettingValue('site.name', name)).toEqual({ ok: true, value: name });
    const cli = join(root, 'cli');
    initSite(cli, { name, deidOptions: [], consentPolicy: 'opt-out' });
    expect(readSiteConfig(sitePaths(cli)).name).toBe(name);
    const ui = join(root, 'ui');
    await applySetup(ui, setupRequest(name));
    expect(readSetupState(ui).site?.name).toBe(name);
  });

  it.each(REFUSED)('refuses %j everywhere, and setup makes no site for it', async (name) => {
    expect(wizardAllows(name)).toBe(false);
    expect(siteNameSchema.safeParse(name).success).toBe(false);
    expect(checkSettingValue('site.name', name).ok).toBe(false);
    expect(() => initSite(join(root, 'cli'), { name, deidOptions: [], consentPolicy: 'opt-out' })).toThrow(
      /Nothing was created/,
    );
    const ui = join(root, 'ui');
    const refused = applySetup(ui, setupRequest(name));
    await expect(refused).rejects.toBeInstanceOf(SiteSetupError);
    await expect(refused).rejects.toMatchObject({ code: 'invalid-site-name' });
    expect(existsSync(sitePaths(ui).config)).toBe(false);
  });

  it('refuses a bad new name for a site that exists (Settings), and keeps the old one', async () => {
    const dir = join(root, 'site');
    await applySetup(dir, setupRequest('North'));
    await expect(applySetup(dir, setupRequest('North/South'))).rejects.toMatchObject({
      code: 'invalid-site-name',
    });
    expect(readSetupState(dir).site?.name).toBe('North');
  });
});
