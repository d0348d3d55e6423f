// The typed recorders on a real site database: what each writes, and the sentence it reads as.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { initSite, openSite, type Site } from '../store/index.ts';
import { recordExport, recordHeldFileAction } from './audit-events.ts';
import { AuditLog } from './audit-log.ts';
import { auditSentence } from './audit-sentence.ts';

let root: string;
let site: Site;
let audit: AuditLog;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'radfed-audit-events-'));
  initSite(join(root, 'site'), { name: 'Events', deidOptions: [], consentPolicy: 'opt-out', actor: 'setup' });
  site = openSite(join(root, 'site'));
  audit = new AuditLog(site.database);
});
afterEach(() => {
  site.database.close();
  rmSync(root, { recursive: true, force: true });
});

describe('recordHeldFileAction', () => {
  it('writes a release on a person\u2019s word, a cleaned release and a deletion in the review queue\u2019s shapes', () => {
    const asIs = recordHeldFileAction(audit, 'Jane Doe', 'released-as-is', {
      heldId: 3,
      heldFor: 'burned-in text',
    });
    expect(asIs).toMatchObject({
      type: 'held.released',
      actor: 'Jane Doe',
      detail: { heldId: 3, how: 'as-is', confirmedBy: 'Jane Doe', heldFor: 'burned-in text' },
    });
    expect(auditSentence(asIs)).toBe(
      'Held image #3 released as is: Jane Doe confirmed it shows no burned-in text',
    );
    const cleaned = recordHeldFileAction(audit, 'Jane Doe', 'cleaned-and-released', {
      heldId: 4,
      cleaning: { boxes: 2 },
    });
    expect(cleaned.detail).toMatchObject({ heldId: 4, how: 'cleaned', boxes: 2 });
    expect(auditSentence(cleaned)).toBe(
      'Held image #4 cleaned of burned-in text, checked again and released',
    );
    const deleted = recordHeldFileAction(audit, 'Sam', 'deleted', { heldId: 5 });
    expect(deleted).toMatchObject({ type: 'held.deleted', actor: 'Sam', detail: { heldId: 5 } });
    expect(audit.verify()).toMatchObject({ ok: true });
  });
});

describe('recordExport', () => {
  it('records an audit CSV export and a model export', () => {
    expect(recordExport(audit, 'Jane Doe', 'audit-csv', { entries: 12 })).toMatchObject({
      type: 'audit.exported',
      detail: { entries: 12, format: 'csv' },
    });
    const model = recordExport(audit, 'Jane Doe', 'model', {
      taskId: 't1',
      taskName: 'Lung nodule',
      version: 3,
      bytes: 2_000_000,
      sha256: 'ab'.repeat(32),
    });
    expect(model.type).toBe('model.exported');
    expect(auditSentence(model)).toBe("Model version 3 of 'Lung nodule' exported: 2.00 MB");
  });
});
