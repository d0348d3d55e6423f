import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IpcChannel, type AuditQueryView } from '../../../shared/ipc/index.ts';
import { osUserName } from '../audit/index.ts';
import { openHandlersTestSite, type HandlersTestSite } from './handlers-test-site.ts';

let site: HandlersTestSite;
beforeEach(() => {
  site = openHandlersTestSite();
  // site.created is entry 1; add entries of two kinds.
  for (let i = 1; i <= 7; i++) {
    site.agent.audit.append({
      type: 'ingest.completed',
      actor: 'site-agent',
      detail: { runId: i, files: i * 10 },
    });
  }
  site.agent.audit.append({
    type: 'consent.withdrawn',
    actor: 'Jane Doe (jdoe)',
    detail: { pseudonym: 'RF0123456789ABCDEF' },
  });
});
afterEach(() => site.close());

const search = (query: Partial<AuditQueryView>) =>
  site.call(IpcChannel.auditSearch, { page: 1, pageSize: 50, ...query });

describe('audit:search', () => {
  it('pages through the log newest first and says how many match', async () => {
    const first = await search({ pageSize: 3 });
    expect(first.total).toBe(9);
    expect(first.entries.map((e) => e.seq)).toEqual([9, 8, 7]);
    const last = await search({ pageSize: 3, page: 3 });
    expect(last.entries.map((e) => e.seq)).toEqual([3, 2, 1]);
    expect(first.types).toEqual(['consent.withdrawn', 'ingest.completed', 'site.created']);
  });

  it('filters by event type and finds words in the detail, case-insensitively', async () => {
    expect((await search({ type: 'ingest.completed' })).total).toBe(7);
    const found = await search({ text: 'rf0123456789abcdef' });
    expect(found.entries.map((e) => e.type)).toEqual(['consent.withdrawn']);
    expect((await search({ text: 'doe withdrawn' })).total).toBe(1);
    // Wildcards are taken literally.
    expect((await search({ text: '%' })).total).toBe(0);
  });

  it('filters by time range: since included, until excluded', async () => {
    const all = (await search({})).entries;
    const middle = all.find((e) => e.seq === 5)?.time ?? '';
    const since = await search({ since: middle });
    expect(since.entries.every((e) => e.time >= middle)).toBe(true);
    expect((await search({ until: '2000-01-01T00:00:00.000Z' })).total).toBe(0);
    expect((await search({ since: '2999-01-01T00:00:00Z' })).total).toBe(0);
  });

  it('rejects a page size beyond the limit', async () => {
    const answer = await site.raw('audit:search', { page: 1, pageSize: 5000 });
    expect(answer).toMatchObject({ ok: false, error: { code: 'invalid-payload' } });
  });
});

describe('audit:verify and audit:export-csv', () => {
  it('reports an intact chain, and exports every entry as CSV, then records the export', async () => {
    expect(await site.call(IpcChannel.auditVerify, undefined)).toEqual({ ok: true, entries: 9 });
    const exported = await site.call(IpcChannel.auditExportCsv, undefined);
    expect(exported.fileName).toMatch(/^radfed-audit-\d{4}-\d{2}-\d{2}\.csv$/);
    const lines = exported.csv.trimEnd().split('\r\n');
    expect(lines[0]).toBe('seq,time,actor,type,detail,prev_hash,hash');
    expect(lines).toHaveLength(10);
    const latest = await search({ pageSize: 1 });
    // The export names the person: here the OS user (the test's agent was opened as a command would be).
    expect(latest.entries[0]).toMatchObject({ seq: 10, type: 'audit.exported', actor: osUserName() });
    expect(JSON.parse(latest.entries[0]?.detail ?? '{}')).toEqual({ entries: 9, format: 'csv' });
    expect(await site.call(IpcChannel.auditVerify, undefined)).toEqual({ ok: true, entries: 10 });
  });
});

describe('sentences and the CSV columns', () => {
  it('gives each entry one plain sentence, and the search finds it by its kind and words', async () => {
    const page = await search({ type: 'consent.withdrawn' });
    expect(page.entries[0]?.sentence).toBe('Patient RF0123456789ABCDEF withdrew consent');
    const created = await search({ type: 'site.created' });
    expect(created.entries[0]?.sentence).toMatch(/^Site created, consent policy /);
  });

  it('exports the same seven columns as before, one row per entry, with no sentence column', async () => {
    const { csv } = await site.call(IpcChannel.auditExportCsv, undefined);
    const [header, ...rows] = csv.trimEnd().split('\r\n');
    expect(header).toBe('seq,time,actor,type,detail,prev_hash,hash');
    const entries = site.agent.audit.list();
    expect(rows).toHaveLength(entries.length - 1); // the export's own entry comes after it
    for (const [i, row] of rows.entries()) {
      const e = entries[i]!;
      const detail = `"${JSON.stringify(e.detail).replaceAll('"', '""')}"`;
      const plain = (v: string) => (/[",\r\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v);
      const empty = JSON.stringify(e.detail) === '{}' ? '{}' : detail;
      expect(row).toBe([String(e.seq), e.time, plain(e.actor), e.type, empty, e.prevHash, e.hash].join(','));
    }
  });
});
