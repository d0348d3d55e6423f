import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openSiteDatabase } from '../store/index.ts';
import { AUDIT_GENESIS_HASH, AuditError, AuditLog, canonicalJson, hashAuditEntry } from './index.ts';

function openLog() {
  const db = openSiteDatabase(join(mkdtempSync(join(tmpdir(), 'radfed-audit-')), 'site.db'));
  let tick = Date.parse('2026-03-01T10:00:00Z');
  const log = new AuditLog(db, () => new Date((tick += 60_000)));
  return { db, log };
}

function appendThree(log: AuditLog) {
  log.append({ type: 'site.created', actor: 'operator', detail: { deidOptions: ['retain-uids'] } });
  log.append({
    type: 'ingest.completed',
    actor: 'site-agent',
    detail: { files: 3, deidentified: 2, held: 1 },
  });
  log.append({ type: 'ingest.completed', actor: 'site-agent', detail: { files: 1, deidentified: 1 } });
}

describe('canonical JSON', () => {
  it('sorts keys at every level so field order does not change the hash', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { f: 1, e: 0 }], c: null } })).toBe(
      '{"a":{"c":null,"d":[2,{"e":0,"f":1}]},"b":1}',
    );
  });
});

describe('audit log', () => {
  it('chains each entry to the previous one and verifies', () => {
    const { db, log } = openLog();
    appendThree(log);
    const entries = log.list();
    expect(entries.map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(entries[0]?.prevHash).toBe(AUDIT_GENESIS_HASH);
    expect(entries[1]?.prevHash).toBe(entries[0]?.hash);
    expect(entries[2]?.prevHash).toBe(entries[1]?.hash);
    expect(log.verify()).toEqual({ ok: true, entries: 3 });
    db.close();
  });

  it('lists by type, since a time, newest first and with a limit', () => {
    const { db, log } = openLog();
    appendThree(log);
    expect(log.list({ type: 'ingest.completed' }).map((e) => e.seq)).toEqual([2, 3]);
    expect(log.list({ since: '2026-03-01T10:02:00Z' }).map((e) => e.seq)).toEqual([2, 3]);
    expect(log.list({ order: 'desc', limit: 1 }).map((e) => e.seq)).toEqual([3]);
    expect(log.list({ type: 'ingest.completed', limit: 1 })[0]?.detail).toEqual({
      deidentified: 2,
      files: 3,
      held: 1,
    });
    db.close();
  });

  it('refuses UPDATE and DELETE through its triggers', () => {
    const { db, log } = openLog();
    appendThree(log);
    expect(() => db.prepare("UPDATE audit_log SET actor = 'someone' WHERE seq = 2").run()).toThrow(
      /append-only/,
    );
    expect(() => db.prepare('DELETE FROM audit_log WHERE seq = 3').run()).toThrow(/append-only/);
    expect(log.verify()).toEqual({ ok: true, entries: 3 });
    db.close();
  });

  it('refuses an inserted entry that does not extend the chain', () => {
    const { db, log } = openLog();
    appendThree(log);
    const insert = db.prepare(
      "INSERT INTO audit_log (seq, time, actor, type, detail, prev_hash, hash) VALUES (?, 't', 'x', 'a.b', '{}', ?, 'h')",
    );
    expect(() => insert.run(7, log.list({ order: 'desc', limit: 1 })[0]?.hash)).toThrow(/chain/);
    expect(() => insert.run(4, AUDIT_GENESIS_HASH)).toThrow(/chain/);
  });

  it('detects an entry edited with raw SQL after the trigger was dropped', () => {
    const { db, log } = openLog();
    appendThree(log);
    db.exec('DROP TRIGGER audit_log_no_update');
    db.prepare(`UPDATE audit_log SET detail = '{"deidentified":9,"files":3,"held":0}' WHERE seq = 2`).run();
    expect(log.verify()).toEqual({ ok: false, brokenAt: 2, reason: expect.stringMatching(/changed/) });
    db.close();
  });

  it('detects an edit whose hash was recomputed too: the next entry no longer points at it', () => {
    const { db, log } = openLog();
    appendThree(log);
    const second = log.list()[1]!;
    db.exec('DROP TRIGGER audit_log_no_update');
    const detail = { deidentified: 2, files: 3, held: 0 };
    const hash = hashAuditEntry(second.prevHash, { ...second, detail });
    db.prepare('UPDATE audit_log SET detail = ?, hash = ? WHERE seq = 2').run(canonicalJson(detail), hash);
    expect(log.verify()).toEqual({ ok: false, brokenAt: 3, reason: expect.stringMatching(/does not point/) });
    db.close();
  });

  it('detects a deleted entry as a gap in the sequence', () => {
    const { db, log } = openLog();
    appendThree(log);
    db.exec('DROP TRIGGER audit_log_no_delete');
    db.prepare('DELETE FROM audit_log WHERE seq = 2').run();
    expect(log.verify()).toEqual({ ok: false, brokenAt: 2, reason: expect.stringMatching(/missing/) });
    db.close();
  });

  it('exports CSV with a header, one row per entry and quoted JSON details', () => {
    const { db, log } = openLog();
    appendThree(log);
    log.append({ type: 'note.added', actor: 'operator', detail: { text: 'line one\nsaid "hi", then left' } });
    const csv = log.exportCsv();
    const lines = csv.split('\r\n');
    expect(lines[0]).toBe('seq,time,actor,type,detail,prev_hash,hash');
    expect(lines[2]).toMatch(
      /^2,2026-03-01T10:02:00\.000Z,site-agent,ingest\.completed,"\{""deidentified"":2,""files"":3,""held"":1\}",[0-9a-f]{64},[0-9a-f]{64}$/,
    );
    expect(csv).toContain('"{""text"":""line one\\nsaid \\""hi\\"", then left""}"');
    expect(csv.endsWith('\r\n')).toBe(true);
    db.close();
  });

  it('rejects an event type that is not dotted lower case, or an empty actor', () => {
    const { db, log } = openLog();
    expect(() => log.append({ type: 'Ingest Done', actor: 'x' })).toThrow(AuditError);
    expect(() => log.append({ type: 'ingest.completed', actor: ' ' })).toThrow(AuditError);
    expect(log.list()).toEqual([]);
    db.close();
  });
});
