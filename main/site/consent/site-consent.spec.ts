// The register on a real site: a real SQLite database in a temp dir, real audit log.
import { afterEach, describe, expect, it } from 'vitest';
import { AuditLog } from '../audit/index.ts';
import { patientPseudonym } from '../deid/index.ts';
import type { Site } from '../store/index.ts';
import { ConsentError } from './consent-error.ts';
import { CLOCK, count, databaseBytes, newSite, writeCsv } from './consent-test-support.ts';
import { SiteConsent } from './site-consent.ts';

const sites: Site[] = [];
function setUp(policy: 'opt-in' | 'opt-out', scope?: string) {
  const site = newSite(policy, scope);
  sites.push(site);
  return { site, consent: new SiteConsent(site, { clock: CLOCK }), audit: new AuditLog(site.database) };
}
afterEach(() => {
  for (const site of sites.splice(0)) site.database.close();
});

const GOOD = [
  'patient_id,status,date,scope',
  'RAWID-1001,granted,2024-01-10,',
  'RAWID-1002,refused,2024-02-11,',
  'RAWID-1003,granted,2024-03-12,chest imaging research',
  'RAWID-1004,withdrawn,2024-04-13,',
].join('\n');
const RAW_IDS = ['RAWID-1001', 'RAWID-1002', 'RAWID-1003', 'RAWID-1004'];

describe('importing a consent export', () => {
  it('records every row by pseudonym (the engine HMAC), with one audit entry listing the changes', async () => {
    const { site, consent, audit } = setUp('opt-in');
    const report = await consent.importCsv(writeCsv(GOOD));
    expect(report).toMatchObject({
      rows: 4,
      added: 4,
      alreadyRecorded: 0,
      encoding: 'utf-8',
      byStatus: { granted: 2, refused: 1, withdrawn: 1 },
      purged: [],
    });
    const p1 = patientPseudonym(site.secret, 'RAWID-1001');
    expect(consent.register.history(p1)).toMatchObject([
      { status: 'granted', date: '2024-01-10', source: 'import' },
    ]);
    expect(consent.isPatientIn(p1)).toBe(true);
    expect(consent.isPatientIn(patientPseudonym(site.secret, 'RAWID-1002'))).toBe(false);
    expect(consent.register.isPatientIdIn('RAWID-1003')).toBe(false);
    expect(consent.register.isPatientIdIn('RAWID-1003', 'Chest Imaging Research')).toBe(true);
    const [entry] = audit.list({ type: 'consent.imported' });
    expect(entry?.detail).toMatchObject({ rows: 4, added: 4, encoding: 'utf-8' });
    expect(entry?.detail.changes).toContainEqual([p1, 'granted', '2024-01-10', '']);
    expect(audit.verify()).toMatchObject({ ok: true });
  });

  it('adds nothing when the same export is imported again', async () => {
    const { consent } = setUp('opt-out');
    const path = writeCsv(GOOD);
    await consent.importCsv(path);
    expect(await consent.importCsv(path)).toMatchObject({ rows: 4, added: 0, alreadyRecorded: 4 });
    expect(consent.list()).toHaveLength(4);
  });

  it.each([
    [
      'a wrong column',
      'patient_id,status,when\nRAWID-9,granted,2024-01-01\n',
      /lacks the column date|none of these/,
    ],
    [
      'a bad date',
      'patient_id,status,date\nRAWID-9,granted,2024-01-01\nRAWID-8,granted,2024-13-01\n',
      /line 3: the date/,
    ],
    [
      'an unknown status',
      'patient_id,status,date\nRAWID-9,granted,2024-01-01\nRAWID-8,maybe,2024-01-01\n',
      /line 3: the status/,
    ],
    [
      'a duplicate row',
      'patient_id,status,date\nRAWID-9,granted,2024-01-01\nRAWID-9,granted,2024-01-01\n',
      /repeats line 2/,
    ],
    [
      'a same-date conflict',
      'patient_id,status,date\nRAWID-9,granted,2024-01-01\nRAWID-9,refused,2024-01-01\n',
      /conflicts with line 2/,
    ],
    [
      'too few fields',
      'patient_id,status,date\nRAWID-9,granted,2024-01-01\nRAWID-8,granted\n',
      /line 3: has 2 fields/,
    ],
    [
      'UTF-16',
      Buffer.from('\ufeffpatient_id,status,date\nRAWID-9,granted,2024-01-01\n', 'utf16le'),
      /UTF-16/,
    ],
  ])('changes nothing for a file with %s', async (_what, text, message) => {
    const { site, consent, audit } = setUp('opt-in');
    await consent.importCsv(writeCsv(GOOD));
    const before = { entries: count(site, 'consent_entries'), audit: audit.list().length };
    const error = await consent.importCsv(writeCsv(text)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConsentError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toMatch(/RAWID/);
    expect({ entries: count(site, 'consent_entries'), audit: audit.list().length }).toEqual(before);
  });

  it('refuses a file it cannot read without naming the path', async () => {
    const { consent } = setUp('opt-in');
    const error = await consent.importCsv('/nonexistent/Smith^John consent.csv').catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'unreadable-file' });
    expect((error as Error).message).not.toContain('Smith');
  });
});

describe('changes over time', () => {
  it('keeps the whole history; the latest dated entry is in force, whatever the order it came in', async () => {
    const { site, consent, audit } = setUp('opt-in');
    await consent.importCsv(writeCsv('patient_id,status,date\nRAWID-7,granted,2024-05-01\n'));
    // An older decision arriving later does not override a newer one.
    await consent.set({ patientId: 'RAWID-7', status: 'refused', date: '2023-01-01' });
    const p = patientPseudonym(site.secret, 'RAWID-7');
    expect(consent.register.decide(p)).toMatchObject({ in: true, status: 'granted' });
    const later = await consent.set({ patientId: 'RAWID-7', status: 'refused', date: '2025-01-01' });
    expect(later.decision).toMatchObject({ in: false, status: 'refused' });
    expect(consent.show({ patientId: 'RAWID-7' }).history.map((e) => [e.date, e.status, e.source])).toEqual([
      ['2023-01-01', 'refused', 'set'],
      ['2024-05-01', 'granted', 'import'],
      ['2025-01-01', 'refused', 'set'],
    ]);
    expect(audit.list({ type: 'consent.set' }).map((e) => e.detail)).toEqual([
      { pseudonym: p, status: 'refused', date: '2023-01-01', scope: '' },
      { pseudonym: p, status: 'refused', date: '2025-01-01', scope: '' },
    ]);
  });

  it('defaults the date of a set entry to today, and refuses a date after today or not a day', async () => {
    const { consent } = setUp('opt-out');
    expect((await consent.set({ patientId: 'RAWID-5', status: 'granted' })).entry.date).toBe('2026-04-05');
    await expect(
      consent.set({ patientId: 'RAWID-5', status: 'refused', date: '2026-05-01' }),
    ).rejects.toThrow(/in the future/);
    await expect(consent.set({ patientId: 'RAWID-5', status: 'refused', date: '5 May' })).rejects.toThrow(
      /YYYY-MM-DD/,
    );
    await expect(consent.set({ patientId: '   ', status: 'refused' })).rejects.toThrow(/patient ID is empty/);
  });

  it('keeps history append-only: the database itself refuses to edit or delete an entry', async () => {
    const { site, consent } = setUp('opt-out');
    await consent.set({ patientId: 'RAWID-5', status: 'granted' });
    expect(() => site.database.prepare("UPDATE consent_entries SET status = 'refused'").run()).toThrow(
      /append-only/,
    );
    expect(() => site.database.prepare('DELETE FROM consent_entries').run()).toThrow(/append-only/);
    expect(() =>
      site.database
        .prepare(
          "INSERT INTO consent_entries (pseudonym, status, date, source, recorded_at) VALUES ('RAWID-5', 'granted', '2024-01-01', 'set', 'x')",
        )
        .run(),
    ).toThrow(/CHECK constraint/);
  });

  it('shows the current entry per patient and scope in the consent_current view', async () => {
    const { site, consent } = setUp('opt-out');
    await consent.importCsv(writeCsv(GOOD));
    await consent.set({ patientId: 'RAWID-1001', status: 'withdrawn', date: '2025-01-01' });
    const rows = site.database
      .prepare<[string], { status: string; date: string }>(
        'SELECT status, date FROM consent_current WHERE pseudonym = ?',
      )
      .all(patientPseudonym(site.secret, 'RAWID-1001'));
    expect(rows).toEqual([{ status: 'withdrawn', date: '2025-01-01' }]);
  });
});

describe('listing and the site scope', () => {
  it('lists pseudonyms with the decision for the site scope, and never a raw ID', async () => {
    const { consent } = setUp('opt-in', 'Chest imaging research');
    await consent.importCsv(writeCsv(GOOD));
    const listed = consent.list();
    expect(listed.map((p) => p.pseudonym).every((p) => /^RF[0-9A-F]{16}$/.test(p))).toBe(true);
    // RAWID-1003's grant is for chest imaging research, this site's scope.
    expect(listed.filter((p) => p.decision.in)).toHaveLength(2);
    expect(JSON.stringify(listed)).not.toMatch(/RAWID/);
  });

  it('keeps raw patient IDs out of the database bytes and the audit log', async () => {
    const { site, consent, audit } = setUp('opt-in');
    await consent.importCsv(writeCsv(GOOD));
    await consent.set({ patientId: 'RAWID-2001', status: 'granted' });
    await consent.withdraw({ patientId: 'RAWID-2002' });
    await consent.withdrawCsv(writeCsv('patient_id\nRAWID-2003\n'));
    consent.show({ patientId: 'RAWID-2004' });
    const bytes = databaseBytes(site);
    for (const id of [...RAW_IDS, 'RAWID-2001', 'RAWID-2002', 'RAWID-2003']) expect(bytes).not.toContain(id);
    expect(bytes).not.toContain('RAWID');
    expect(audit.exportCsv()).not.toContain('RAWID');
  });
});
