// Label import against a real site: synthesized studies ingested through the real ingest path and
// de-identification, the synthesizer's own labels CSV, and a real SQLite database searched for leaks.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AuditLog } from '../audit/index.ts';
import { CohortError, importLabels, importLabelsFile, parseTaskDefinition, TaskStore } from './index.ts';
import { databaseBytes, makeTestSite, type TestSite } from './test-site.ts';

let t: TestSite;
const TASK = parseTaskDefinition({ id: 'chest-nodule', name: 'Lung nodule', labels: ['normal', 'nodule'] });

const labelsOf = (): Map<string, string> =>
  new Map(
    t.site.database
      .prepare<[], { study: string; label: string }>(
        "SELECT study_uid AS study, label FROM labels WHERE task_id = 'chest-nodule'",
      )
      .all()
      .map((r) => [r.study, r.label]),
  );

const storedStudies = (): number =>
  t.site.database.prepare<[], number>('SELECT COUNT(*) FROM studies').pluck().get() ?? 0;

beforeAll(async () => {
  t = await makeTestSite({ patients: 12 });
}, 60_000);
afterAll(() => t.close());

beforeEach(() => {
  t.site.database.exec('DELETE FROM labels; DELETE FROM tasks;');
  new TaskStore(t.site.database).add(TASK);
});

describe('label import', () => {
  it('matches every row of the synthesizer labels CSV by accession number, with its label', () => {
    const report = importLabelsFile(t.site, t.labelsCsv);
    // Studies whose every file was held back are not in the research store: they cannot match.
    expect(report).toMatchObject({ taskId: 'chest-nodule', key: 'accession', rows: t.studies.length });
    expect(report.studiesLabelled).toBe(storedStudies());
    expect(report.studiesLabelled + report.unmatched.length).toBe(t.studies.length);
    expect(report.added).toBe(report.studiesLabelled);
    expect([report.badLabel, report.malformed, report.conflicting, report.duplicates]).toEqual([
      [],
      [],
      [],
      [],
    ]);
    const counts = [...labelsOf().values()].reduce(
      (m, l) => m.set(l, (m.get(l) ?? 0) + 1),
      new Map<string, number>(),
    );
    expect(counts.get('nodule')! + counts.get('normal')!).toBe(storedStudies());
  });

  it('matches by Study Instance UID the same studies, with the same labels, as by accession number', () => {
    importLabelsFile(t.site, t.labelsCsv);
    const byAccession = labelsOf();
    t.site.database.exec('DELETE FROM labels');
    const csv = ['study_instance_uid,label', ...t.studies.map((s) => `${s.studyInstanceUid},${s.labelName}`)];
    const report = importLabels(t.site, csv.join('\r\n'));
    expect(report.key).toBe('study-uid');
    expect(report.studiesLabelled).toBe(storedStudies());
    expect(labelsOf()).toEqual(byAccession);
  });

  it('reports rows that match nothing, bad labels, malformed, conflicting and repeated rows, by line', () => {
    const [a, b, c, d] = t.studies.filter((s) => s.stored);
    const csv = [
      'accession_number,label',
      `${a!.accessionNumber},${a!.labelName}`, // 2 applied
      'ACCNOSUCH1,normal', // 3 unmatched
      `${b!.accessionNumber},maybe`, // 4 bad label
      `${c!.accessionNumber},normal`, // 5 conflicting
      `${c!.accessionNumber},nodule`, // 6 conflicting
      `${d!.accessionNumber},NODULE`, // 7 applied, as "nodule"
      `${d!.accessionNumber},nodule`, // 8 repeated
      'ACCNOSUCH2', // 9 malformed
    ].join('\n');
    const report = importLabels(t.site, csv);
    expect(report.unmatched).toEqual([{ line: 3 }]);
    expect(report.badLabel).toEqual([{ line: 4 }]);
    expect(JSON.stringify(report)).not.toContain('ACCNOSUCH1');
    expect(report.conflicting).toEqual([5, 6]);
    expect(report.duplicates).toEqual([8]);
    expect(report.malformed).toEqual([{ line: 9, reason: 'has 1 fields where the header has 2' }]);
    expect([...labelsOf().values()].sort()).toEqual([a!.labelName, 'nodule'].sort());

    const entry = new AuditLog(t.site.database).list({
      type: 'labels.imported',
      order: 'desc',
      limit: 1,
    })[0]!;
    expect(entry.detail).toMatchObject({
      taskId: 'chest-nodule',
      rows: 8,
      studiesLabelled: 2,
      unmatched: 1,
      unmatchedLines: [3],
      badLabel: 1,
      badLabelLines: [4],
      conflicting: 2,
      malformed: 1,
    });
    expect(JSON.stringify(entry.detail)).not.toContain('ACCNOSUCH1');
  });

  it('updates labels on re-import, keeps others, and with replace removes what the file does not set', () => {
    importLabelsFile(t.site, t.labelsCsv);
    const before = labelsOf();
    const first = t.studies.find((s) => s.stored)!;
    const flipped = first.labelName === 'nodule' ? 'normal' : 'nodule';
    const report = importLabels(t.site, `accession_number,label\n${first.accessionNumber},${flipped}\n`);
    expect(report).toMatchObject({ studiesLabelled: 1, changed: 1, added: 0, removed: 0 });
    const after = labelsOf();
    expect(after.size).toBe(before.size);
    expect([...after.values()].filter((l) => l === flipped).length).toBe(
      [...before.values()].filter((l) => l === flipped).length + 1,
    );
    const again = importLabels(t.site, `accession_number,label\n${first.accessionNumber},${flipped}\n`, {
      replace: true,
    });
    expect(again).toMatchObject({ unchanged: 1, removed: before.size - 1 });
    expect([...labelsOf().values()]).toEqual([flipped]);
  });

  it('drops labels outside a replaced task label set, and says how many', () => {
    importLabelsFile(t.site, t.labelsCsv);
    const nodules = [...labelsOf().values()].filter((l) => l === 'nodule').length;
    const result = new TaskStore(t.site.database).add(
      parseTaskDefinition({ ...TASK, labels: ['normal', 'mass'] }),
      { replace: true },
    );
    expect(result.labelsDropped).toBe(nodules);
    expect([...labelsOf().values()].every((l) => l === 'normal')).toBe(true);
  });

  it('changes nothing when the file cannot be read as a labels table', () => {
    importLabelsFile(t.site, t.labelsCsv);
    const before = labelsOf();
    const auditBefore = new AuditLog(t.site.database).list().length;
    expect(() => importLabels(t.site, 'patient_id,label\nP1,normal\n')).toThrow(CohortError);
    const path = join(t.root, 'latin1.csv');
    writeFileSync(path, Buffer.from('accession_number,label\nÄ1,normal\n', 'latin1'));
    expect(() => importLabelsFile(t.site, path)).toThrow(/not UTF-8/);
    expect(() => importLabels(t.site, t.labelsCsv, { task: 'other' })).toThrow(/no task "other"/);
    expect(labelsOf()).toEqual(before);
    expect(new AuditLog(t.site.database).list().length).toBe(auditBefore);
  });

  it('records, under the Basic Profile, the emptied Study Date and removed Series Description as filters see them', () => {
    const rows = t.site.database
      .prepare<[], { date: string; description: string; bodyPart: string }>(
        'SELECT st.study_date AS date, se.description, se.body_part AS bodyPart FROM series se JOIN studies st USING (study_uid)',
      )
      .all();
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) expect(row).toEqual({ date: '', description: '', bodyPart: 'CHEST' });
  });

  it('never stores or audits a raw accession number or original Study Instance UID', () => {
    importLabelsFile(t.site, t.labelsCsv);
    const csv = ['study_instance_uid,label', ...t.studies.map((s) => `${s.studyInstanceUid},${s.labelName}`)];
    importLabels(t.site, [...csv, '1.2.3.4.5.6.7.8.9.424242,normal'].join('\n'));
    const bytes = databaseBytes(t.site);
    const audit = JSON.stringify(new AuditLog(t.site.database).list());
    for (const study of t.studies) {
      expect(bytes.includes(Buffer.from(study.accessionNumber)), 'accession number in the database').toBe(
        false,
      );
      expect(bytes.includes(Buffer.from(study.studyInstanceUid)), 'original study UID in the database').toBe(
        false,
      );
      expect(audit).not.toContain(study.accessionNumber);
      expect(audit).not.toContain(study.studyInstanceUid);
    }
    expect(bytes.includes(Buffer.from('1.2.3.4.5.6.7.8.9.424242'))).toBe(false);
  });
});
