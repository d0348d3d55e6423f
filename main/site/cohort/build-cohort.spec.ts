// Cohorts from a real site: synthesized studies ingested through the real ingest path (with the
// options that keep a cleaned Series Description and the real Study Date), real labels imported
// from the synthesizer's CSV, and the real consent register deciding who is in.
import { existsSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SiteConsent } from '../consent/index.ts';
import {
  buildCohort,
  importLabels,
  importLabelsFile,
  parseTaskDefinition,
  TaskStore,
  validationCount,
  type Cohort,
  type TaskDefinitionInput,
} from './index.ts';
import { makeTestSite, type OriginalStudy, type TestSite } from './test-site.ts';

let t: TestSite;
// Refused before ingest: never de-identified. Refused for "ai research" only: stored, in for the site.
let refusedAtIngest: OriginalStudy;
let refusedForAi: OriginalStudy;

const byPatient = (i: number) => (s: OriginalStudy) => s.patientIndex === i;
const instanceCount = (sql = 'SELECT COUNT(*) FROM instances'): number =>
  t.site.database.prepare<[], number>(sql).pluck().get() ?? 0;

let taskNumber = 0;
/** Adds a task (with a fresh id) and imports the synthesizer labels for it; returns its cohort. */
function cohortOf(task: Partial<TaskDefinitionInput>, labels?: string): Cohort {
  const id = `task-${++taskNumber}`;
  new TaskStore(t.site.database).add(
    parseTaskDefinition({ id, name: id, labels: ['normal', 'nodule'], ...task }),
  );
  if (labels === undefined) importLabelsFile(t.site, t.labelsCsv, { task: id });
  else importLabels(t.site, labels, { task: id });
  return buildCohort(t.site, id);
}

const patientsOf = (items: { patient: string }[]) => new Set(items.map((i) => i.patient));
const studiesOf = (items: { study: string }[]) => new Set(items.map((i) => i.study));

beforeAll(async () => {
  t = await makeTestSite({
    patients: 16,
    deidOptions: ['clean-descriptors', 'retain-long-full-dates'],
    consentScope: 'chest imaging research',
    async beforeIngest(site, studies) {
      refusedAtIngest = studies.find(byPatient(3))!;
      await new SiteConsent(site).set({
        patientId: refusedAtIngest.patientId,
        status: 'refused',
        date: '2024-01-02',
      });
    },
  });
  refusedForAi = t.studies.find(byPatient(5))!;
  await new SiteConsent(t.site).set({
    patientId: refusedForAi.patientId,
    status: 'refused',
    date: '2024-01-03',
    scope: 'ai research',
  });
}, 60_000);
afterAll(() => t.close());

describe('cohort', () => {
  it('holds every stored, consented, labelled instance once, with its label index, patient and absolute path', () => {
    const cohort = cohortOf({});
    const items = [...cohort.train, ...cohort.validation];
    expect(items.length).toBe(instanceCount());
    expect(new Set(items.map((i) => i.path)).size).toBe(items.length);
    const original = new Map(t.studies.filter((s) => s.stored).map((s) => [s.deidentifiedUid!, s]));
    for (const item of items) {
      const study = original.get(item.study)!;
      expect(item.label).toBe(cohort.task.labels.indexOf(study.labelName));
      expect(item.patient).toBe(study.pseudonym);
      expect(isAbsolute(item.path) && item.path.startsWith(t.site.paths.research)).toBe(true);
      expect(existsSync(item.path)).toBe(true);
    }
    expect(studiesOf(items).size).toBe(original.size);
  });

  it('counts what was left out: not ingested for consent, and held by de-identification', () => {
    const { excluded } = cohortOf({});
    expect(t.studies.filter(byPatient(3)).every((s) => !s.stored)).toBe(true);
    expect(excluded.noConsent).toMatchObject({ patients: 0, studies: 0, instances: 0 });
    expect(excluded.noConsent.notIngested.patients).toBe(1);
    expect(excluded.noConsent.notIngested.studies).toBe(t.studies.filter(byPatient(3)).length);
    expect(excluded.noConsent.notIngested.files).toBeGreaterThan(0);
    const held = instanceCount('SELECT COUNT(*) FROM held');
    expect(held).toBeGreaterThan(0);
    expect(excluded.held.files).toBe(held);
    expect([excluded.filteredOut.studies, excluded.noLabel.studies]).toEqual([0, 0]);
  });

  it('leaves out, as no consent, the patients out for the task consent scope only', () => {
    const scoped = cohortOf({ consentScope: 'AI  Research' });
    const items = [...scoped.train, ...scoped.validation];
    expect(patientsOf(items).has(refusedForAi.pseudonym)).toBe(false);
    const theirs = t.studies.filter(byPatient(5));
    expect(scoped.excluded.noConsent).toMatchObject({ patients: 1, studies: theirs.length });
    const unscoped = cohortOf({});
    expect(patientsOf([...unscoped.train, ...unscoped.validation]).has(refusedForAi.pseudonym)).toBe(true);
  });

  it('leaves out, as no label, the studies the labels file does not cover', () => {
    const lines = t.studies.filter((s) => s.stored).map((s) => `${s.accessionNumber},${s.labelName}`);
    const half = lines.slice(0, Math.floor(lines.length / 2));
    const cohort = cohortOf({}, ['accession_number,label', ...half].join('\n'));
    expect(studiesOf([...cohort.train, ...cohort.validation]).size).toBe(half.length);
    expect(cohort.excluded.noLabel.studies).toBe(lines.length - half.length);
  });
});

describe('split', () => {
  it('puts no patient on both sides, each label on both sides, and the fraction of each stratum in validation', () => {
    const cohort = cohortOf({ validationFraction: 0.25, seed: 11 });
    const train = patientsOf(cohort.train);
    const validation = patientsOf(cohort.validation);
    expect([...validation].filter((p) => train.has(p))).toEqual([]);
    for (const side of [cohort.counts.train, cohort.counts.validation]) {
      expect(side.map((c) => c.label)).toEqual(['normal', 'nodule']);
      for (const count of side) expect(count.patients).toBeGreaterThan(0);
    }
    const total = train.size + validation.size;
    expect(validation.size).toBeGreaterThanOrEqual(Math.floor(total * 0.25) - 1);
    expect(validation.size).toBeLessThanOrEqual(Math.ceil(total * 0.25) + 1);
    const instances = (side: 'train' | 'validation') =>
      cohort.counts[side].reduce((n, c) => n + c.instances, 0);
    expect([instances('train'), instances('validation')]).toEqual([
      cohort.train.length,
      cohort.validation.length,
    ]);
  });

  it('is the same for the same seed, and different for another', () => {
    const a = cohortOf({ seed: 1 });
    const b = cohortOf({ seed: 1 });
    const c = cohortOf({ seed: 2 });
    expect(b.train).toEqual(a.train);
    expect(b.validation).toEqual(a.validation);
    expect([...patientsOf(c.validation)].sort()).not.toEqual([...patientsOf(a.validation)].sort());
  });

  it('keeps validation empty at fraction 0, and never takes a whole stratum', () => {
    const cohort = cohortOf({ validationFraction: 0 });
    expect(cohort.validation).toEqual([]);
    expect([validationCount(1, 0.5), validationCount(2, 0.9), validationCount(10, 0.2)]).toEqual([0, 1, 2]);
  });
});

describe('filters', () => {
  const seriesRows = () =>
    t.site.database
      .prepare<[], { study: string; modality: string; description: string; date: string; instances: number }>(
        `SELECT st.study_uid AS study, se.modality, se.description, st.study_date AS date,
                (SELECT COUNT(*) FROM instances i WHERE i.series_uid = se.series_uid) AS instances
         FROM series se JOIN studies st USING (study_uid)`,
      )
      .all();

  it('keeps only series of the listed modalities, and counts the series removed', () => {
    const cohort = cohortOf({ filters: { modalities: ['ct'] } });
    const rows = seriesRows();
    const ct = rows.filter((r) => r.modality === 'CT');
    expect(ct.length).toBeGreaterThan(0);
    expect(ct.length).toBeLessThan(rows.length);
    expect(cohort.train.length + cohort.validation.length).toBe(ct.reduce((n, r) => n + r.instances, 0));
    expect(cohort.excluded.filteredOut.seriesRemovedBy.modality).toBe(rows.length - ct.length);
    expect(cohort.excluded.filteredOut.studies).toBe(studiesOf(rows).size - studiesOf(ct).size);
  });

  it('matches the series description pattern case-insensitively on the de-identified description', () => {
    const rows = seriesRows();
    expect(rows.every((r) => r.description !== '')).toBe(true);
    const cohort = cohortOf({ filters: { seriesDescription: '^chest pa' } });
    const expected = rows.filter((r) => /^CHEST PA/.test(r.description));
    expect(expected.length).toBeGreaterThan(0);
    expect(studiesOf([...cohort.train, ...cohort.validation])).toEqual(studiesOf(expected));
    expect(cohort.excluded.filteredOut.seriesRemovedBy.seriesDescription).toBe(rows.length - expected.length);
  });

  it('filters everything out on a body part no study has', () => {
    const cohort = cohortOf({ filters: { bodyParts: ['HEAD'] } });
    expect([cohort.train, cohort.validation]).toEqual([[], []]);
    expect(cohort.excluded.filteredOut.studies).toBe(studiesOf(seriesRows()).size);
    expect(cohort.excluded.noLabel.studies).toBe(0);
  });

  it('keeps studies whose date is inside the window, both ends included', () => {
    const dates = [...new Set(seriesRows().map((r) => r.date))].sort();
    expect(dates.every((d) => /^\d{8}$/.test(d))).toBe(true);
    const [from, to] = [dates[2]!, dates[dates.length - 3]!];
    const iso = (d: string) => `${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6)}`;
    const cohort = cohortOf({ filters: { studyDate: { from: iso(from), to: iso(to) } } });
    const inside = new Set(
      seriesRows()
        .filter((r) => r.date >= from && r.date <= to)
        .map((r) => r.study),
    );
    expect(studiesOf([...cohort.train, ...cohort.validation])).toEqual(inside);
    expect(cohort.excluded.filteredOut.studiesOutsideDateWindow).toBe(
      studiesOf(seriesRows()).size - inside.size,
    );
  });
});

describe('withdrawal', () => {
  it('takes a withdrawn patient out of every later cohort, labels included', async () => {
    const before = cohortOf({});
    const patient = t.studies.find((s) => s.stored && s.patientIndex !== 5)!;
    expect(patientsOf([...before.train, ...before.validation]).has(patient.pseudonym)).toBe(true);
    await new SiteConsent(t.site).withdraw({ patientId: patient.patientId, date: '2024-02-01' });
    const after = buildCohort(t.site, before.task.id);
    expect(patientsOf([...after.train, ...after.validation]).has(patient.pseudonym)).toBe(false);
    const labels = t.site.database
      .prepare<[string], number>('SELECT COUNT(*) FROM labels WHERE study_uid = ?')
      .pluck()
      .get(patient.deidentifiedUid!);
    expect(labels).toBe(0);
  });
});
