// The cohort of a task: the de-identified studies that are in by consent, pass the task's filters and
// have a label, as research-store instances split by patient into training and validation. Each study
// left out is counted under the first reason that applies, in this order: no consent, filtered out,
// no label. Files held back by de-identification never reached the research store; they are counted
// from the held table.
import { join } from 'node:path';
import type { Site } from '../store/index.ts';
import { splitPatients, type Side } from './cohort-split.ts';
import type { ConsentCheck } from './consent-check.ts';
import { ingestConsentExclusions, siteConsentCheck } from './site-consent-check.ts';
import { compileFilters, type SeriesFilter } from './study-filters.ts';
import type { TaskDefinition } from './task-definition.ts';
import { TaskStore } from './task-store.ts';

export type CohortSite = Pick<Site, 'database' | 'paths' | 'secret' | 'config'>;

/** One training example: a de-identified instance, its class index and its patient's pseudonym. */
export interface CohortItem {
  /** Absolute path of the de-identified file in the research store. */
  path: string;
  /** Index of the study's label in the task's label set. */
  label: number;
  /** Patient pseudonym: the unit of the split. */
  patient: string;
  /** De-identified Study Instance UID. */
  study: string;
}

export interface LabelCount {
  label: string;
  index: number;
  patients: number;
  studies: number;
  instances: number;
}

export interface ExcludedCount {
  patients: number;
  studies: number;
  instances: number;
}

export interface CohortExclusions {
  /** Studies of patients who are not in by consent (for the task's scope, if it has one). */
  noConsent: ExcludedCount & {
    /** Kept out at ingest (never de-identified into the research store) by the consent register. */
    notIngested: { patients: number; studies: number; files: number };
  };
  /** Studies outside the date window, or none of whose series pass the series filters. */
  filteredOut: ExcludedCount & {
    studiesOutsideDateWindow: number;
    /** Series removed by each series filter (the first each failed), in studies in by consent. */
    seriesRemovedBy: Record<SeriesFilter, number>;
  };
  /** Studies in by consent and through the filters, without a label for this task. */
  noLabel: ExcludedCount;
  /** Files held back by de-identification (in quarantine, not in the research store). */
  held: { files: number; studies: number };
}

export interface Cohort {
  task: TaskDefinition;
  train: CohortItem[];
  validation: CohortItem[];
  counts: { train: LabelCount[]; validation: LabelCount[] };
  excluded: CohortExclusions;
}

export interface BuildCohortOptions {
  /** Who is in by consent; by default the site's consent register under its policy. */
  consent?: ConsentCheck;
}

interface InstanceRow {
  patient: string;
  study: string;
  studyDate: string;
  series: string;
  modality: string;
  bodyPart: string;
  description: string;
  path: string;
}

interface StudyEntry {
  patient: string;
  study: string;
  studyDate: string;
  series: Map<
    string,
    { facts: { modality: string; bodyPart: string; description: string }; paths: string[] }
  >;
}

const emptyCount = (): ExcludedCount & { patientSet: Set<string> } => ({
  patients: 0,
  studies: 0,
  instances: 0,
  patientSet: new Set(),
});

/** Builds the cohort of `taskId` (or the site's default task). */
export function buildCohort(site: CohortSite, taskId?: string, options: BuildCohortOptions = {}): Cohort {
  const db = site.database;
  const consent = options.consent ?? siteConsentCheck(site);
  const task = new TaskStore(db).resolve(taskId);
  const filters = compileFilters(task.filters);
  const labelIndex = new Map(task.labels.map((l, i) => [l, i]));
  const labels = new Map(
    db
      .prepare<[string], { study: string; label: string }>(
        'SELECT study_uid AS study, label FROM labels WHERE task_id = ?',
      )
      .all(task.id)
      .map((r) => [r.study, r.label]),
  );

  const noConsent = emptyCount();
  const filteredOut = emptyCount();
  const noLabel = emptyCount();
  const seriesRemovedBy: Record<SeriesFilter, number> = { modality: 0, bodyPart: 0, seriesDescription: 0 };
  let studiesOutsideDateWindow = 0;
  const exclude = (count: ReturnType<typeof emptyCount>, study: StudyEntry): void => {
    count.studies += 1;
    count.patientSet.add(study.patient);
    for (const s of study.series.values()) count.instances += s.paths.length;
  };

  const consentOf = new Map<string, boolean>();
  const included: { study: StudyEntry; label: number; paths: string[] }[] = [];
  for (const study of readStudies(site)) {
    if (!consentOf.has(study.patient))
      consentOf.set(study.patient, consent.isIn(study.patient, task.consentScope));
    if (consentOf.get(study.patient) !== true) {
      exclude(noConsent, study);
      continue;
    }
    if (!filters.studyDateOk(study.studyDate)) {
      studiesOutsideDateWindow += 1;
      exclude(filteredOut, study);
      continue;
    }
    const paths: string[] = [];
    for (const series of study.series.values()) {
      const failed = filters.seriesFails(series.facts);
      if (failed === null) paths.push(...series.paths);
      else seriesRemovedBy[failed] += 1;
    }
    if (paths.length === 0) {
      exclude(filteredOut, study);
      continue;
    }
    const label = labelIndex.get(labels.get(study.study) ?? '');
    if (label === undefined) {
      exclude(noLabel, study);
      continue;
    }
    included.push({ study, label, paths });
  }

  const labelsOf = new Map<string, number[]>();
  for (const { study, label } of included)
    labelsOf.set(study.patient, [...(labelsOf.get(study.patient) ?? []), label]);
  const sides = splitPatients(
    [...labelsOf].map(([patient, l]) => ({ patient, labels: l })),
    task.validationFraction,
    task.seed,
  );

  const items: Record<Side, CohortItem[]> = { train: [], validation: [] };
  const counts = { train: labelCounts(task), validation: labelCounts(task) };
  const patientsPer = {
    train: task.labels.map(() => new Set<string>()),
    validation: task.labels.map(() => new Set<string>()),
  };
  for (const { study, label, paths } of included) {
    const side = sides.get(study.patient) ?? 'train';
    for (const path of paths) {
      items[side].push({
        path: join(site.paths.research, ...path.split('/')),
        label,
        patient: study.patient,
        study: study.study,
      });
    }
    const count = counts[side][label]!;
    count.studies += 1;
    count.instances += paths.length;
    patientsPer[side][label]!.add(study.patient);
  }
  for (const side of ['train', 'validation'] as const) {
    counts[side].forEach((c, i) => (c.patients = patientsPer[side][i]!.size));
  }

  const held = db
    .prepare<[], { files: number; studies: number }>(
      'SELECT COUNT(*) AS files, COUNT(DISTINCT study_uid) AS studies FROM held',
    )
    .get() ?? { files: 0, studies: 0 };
  const finish = ({ patientSet, ...count }: ReturnType<typeof emptyCount>): ExcludedCount => ({
    ...count,
    patients: patientSet.size,
  });
  return {
    task,
    train: items.train,
    validation: items.validation,
    counts,
    excluded: {
      noConsent: { ...finish(noConsent), notIngested: ingestConsentExclusions(site) },
      filteredOut: { ...finish(filteredOut), studiesOutsideDateWindow, seriesRemovedBy },
      noLabel: finish(noLabel),
      held,
    },
  };
}

function labelCounts(task: TaskDefinition): LabelCount[] {
  return task.labels.map((label, index) => ({ label, index, patients: 0, studies: 0, instances: 0 }));
}

/** Every indexed study with its series and instance paths, in a fixed order. */
function readStudies(site: CohortSite): StudyEntry[] {
  const rows = site.database
    .prepare<[], InstanceRow>(
      `SELECT st.patient_pseudonym AS patient, st.study_uid AS study, st.study_date AS studyDate,
              se.series_uid AS series, se.modality, se.body_part AS bodyPart, se.description, i.path
       FROM studies st
       JOIN series se ON se.study_uid = st.study_uid
       JOIN instances i ON i.series_uid = se.series_uid
       ORDER BY st.patient_pseudonym, st.study_uid, se.series_uid, i.path`,
    )
    .all();
  const studies = new Map<string, StudyEntry>();
  for (const row of rows) {
    let study = studies.get(row.study);
    if (!study) {
      study = { patient: row.patient, study: row.study, studyDate: row.studyDate, series: new Map() };
      studies.set(row.study, study);
    }
    let series = study.series.get(row.series);
    if (!series) {
      series = {
        facts: { modality: row.modality, bodyPart: row.bodyPart, description: row.description },
        paths: [],
      };
      study.series.set(row.series, series);
    }
    series.paths.push(row.path);
  }
  return [...studies.values()];
}
