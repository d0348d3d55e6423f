// The Training data page's words and form shaping, kept out of the components so they can be tested.
import type {
  CohortView,
  LabelImportView,
  SiteTaskInput,
  SiteTaskView,
} from '../../../../shared/ipc/index.ts';

/** What the task form holds: text as typed. */
export interface TaskForm {
  id: string;
  name: string;
  labels: string;
  modalities: string;
  bodyParts: string;
  seriesDescription: string;
  dateFrom: string;
  dateTo: string;
  consentScope: string;
  validationPercent: number;
  seed: number;
  makeDefault: boolean;
}

export const EMPTY_TASK_FORM: TaskForm = {
  id: '',
  name: '',
  labels: '',
  modalities: '',
  bodyParts: '',
  seriesDescription: '',
  dateFrom: '',
  dateTo: '',
  consentScope: '',
  validationPercent: 20,
  seed: 0,
  makeDefault: true,
};

/** "a, b ,, c" -> ["a", "b", "c"]: lists are typed with commas. */
export function splitList(text: string): string[] {
  return text
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');
}

export function formToTask(form: TaskForm): SiteTaskInput {
  const studyDate = {
    ...(form.dateFrom && { from: form.dateFrom }),
    ...(form.dateTo && { to: form.dateTo }),
  };
  return {
    id: form.id.trim(),
    name: form.name.trim(),
    labels: splitList(form.labels),
    filters: {
      ...(splitList(form.modalities).length > 0 && { modalities: splitList(form.modalities) }),
      ...(splitList(form.bodyParts).length > 0 && { bodyParts: splitList(form.bodyParts) }),
      ...(form.seriesDescription.trim() && { seriesDescription: form.seriesDescription.trim() }),
      ...(Object.keys(studyDate).length > 0 && { studyDate }),
    },
    ...(form.consentScope.trim() && { consentScope: form.consentScope.trim() }),
    // Percent on screen; a share of 0 to 0.9 in the task. Rounded so 20 % is exactly 0.2.
    validationFraction: Math.round(form.validationPercent * 10) / 1000,
    seed: Math.max(0, Math.trunc(form.seed)),
  };
}

export function taskToForm(task: SiteTaskView): TaskForm {
  return {
    id: task.id,
    name: task.name,
    labels: task.labels.join(', '),
    modalities: (task.filters.modalities ?? []).join(', '),
    bodyParts: (task.filters.bodyParts ?? []).join(', '),
    seriesDescription: task.filters.seriesDescription ?? '',
    dateFrom: task.filters.studyDate?.from ?? '',
    dateTo: task.filters.studyDate?.to ?? '',
    consentScope: task.consentScope ?? '',
    validationPercent: Math.round(task.validationFraction * 1000) / 10,
    seed: task.seed,
    makeDefault: task.isDefault,
  };
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/** The task in one plain sentence: what it trains on. */
export function taskSentence(task: SiteTaskView): string {
  const f = task.filters;
  const which = [
    f.modalities ? `modality ${f.modalities.join(' or ')}` : null,
    f.bodyParts ? `body part ${f.bodyParts.join(' or ')}` : null,
    f.seriesDescription ? `series description matching "${f.seriesDescription}"` : null,
    f.studyDate
      ? `studies ${f.studyDate.from ? `from ${f.studyDate.from}` : ''}${f.studyDate.from && f.studyDate.to ? ' ' : ''}${f.studyDate.to ? `to ${f.studyDate.to}` : ''}`
      : null,
  ].filter((part) => part !== null);
  return (
    `Labels ${task.labels.map((l, i) => `${i} ${l}`).join(', ')}; ` +
    `${which.length > 0 ? which.join(', ') : 'all studies'}; ` +
    `${Math.round(task.validationFraction * 100)}% of patients kept for validation (seed ${task.seed}); ` +
    `${plural(task.labelledStudies, 'study', 'studies')} labelled.`
  );
}

export function labelImportSentence(view: LabelImportView): string {
  const column = view.key === 'accession' ? 'accession number' : 'Study Instance UID';
  const removed =
    view.removed > 0 ? `; ${plural(view.removed, 'earlier label', 'earlier labels')} removed` : '';
  const notApplied =
    view.problems.length > 0
      ? ` ${plural(view.problems.length, 'line was', 'lines were')} not applied: see below.`
      : ' Every line was applied.';
  return (
    `Matched on ${column}: ${plural(view.rows, 'row', 'rows')} read, ` +
    `${plural(view.studiesLabelled, 'study', 'studies')} labelled ` +
    `(${view.added} new, ${view.changed} changed, ${view.unchanged} unchanged)${removed}.${notApplied}`
  );
}

/**
 * The cohort in one sentence. Patients are the distinct ones: a patient with studies under two labels is
 * in two rows of the table, and adding the rows up once counted them twice (38 patients of 30 stored).
 */
export function cohortSentence(cohort: CohortView): string {
  const { train, validation } = cohort.patients;
  return (
    `${plural(cohort.images.train, 'image', 'images')} of ${plural(train, 'patient', 'patients')} for training, ` +
    `${plural(cohort.images.validation, 'image', 'images')} of ${plural(validation, 'patient', 'patients')} for validation.`
  );
}

export const EXCLUSION_TITLES: Record<CohortView['excluded'][number]['reason'], string> = {
  'no-consent': 'No consent',
  'filtered-out': "Outside the task's filters",
  'no-label': 'No label',
};
