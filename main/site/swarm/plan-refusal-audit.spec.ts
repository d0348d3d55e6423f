// Where `radfed swarm serve` records a refused round plan: in the audit log of the site whose folder the
// member runs in (a real site made by initSite), chained with the site's own entries; a swarm-only
// folder has no audit log to write to.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AuditLog } from '../audit/index.ts';
import { initSite, openSite } from '../store/index.ts';
import { openSiteAudit, recordPlanRefused, SWARM_PLAN_REFUSED } from './plan-refusal-audit.ts';

const folders: string[] = [];
afterEach(() => {
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});
const tempFolder = () => {
  const folder = mkdtempSync(join(tmpdir(), 'radfed-plan-audit-'));
  folders.push(folder);
  return folder;
};

describe("a refused round plan in the site's audit log", () => {
  it('goes into the site database of the folder, after its own entries, with numbers and the sentence', () => {
    const dir = join(tempFolder(), 'site');
    initSite(dir, { name: 'Plan audit site', deidOptions: [], consentPolicy: 'opt-out' });
    const opened = openSiteAudit(dir, 'radiographer')!;
    const sentence = 'Refused the secure-aggregation plan of member 0123abcd, leader of round 2: …';
    recordPlanRefused(opened.audit, {
      round: 2,
      attempt: 1,
      leader: '0123abcd'.repeat(8),
      field: 'clipRange',
      planned: 1e-6,
      expected: 0.5,
      problem:
        'the clip range of the updates is 0.000001 in the plan; the approved task says 0.5 for 3 participants.',
      sentence,
    });
    opened.close();
    const site = openSite(dir);
    try {
      const log = new AuditLog(site.database);
      const entries = log.list();
      expect(entries.map((e) => e.type)).toEqual(['site.created', SWARM_PLAN_REFUSED]);
      expect(entries[1]).toMatchObject({
        actor: 'radiographer',
        detail: { round: 2, attempt: 1, field: 'clipRange', planned: 1e-6, expected: 0.5, reason: sentence },
      });
      expect(log.verify()).toMatchObject({ ok: true });
    } finally {
      site.database.close();
    }
  });

  it('has nowhere to go in a folder that holds no site', () => {
    expect(openSiteAudit(tempFolder())).toBeNull();
  });
});
