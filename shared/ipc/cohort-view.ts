// The "Training data" page: the site's own task (label set, filters, validation split), its labels
// imported from a CSV, and the cohort they make. Counts and line numbers only: a labels file's keys
// (accession numbers, Study Instance UIDs) never come back to the screen.

export interface SiteTaskFiltersView {
  modalities?: string[];
  bodyParts?: string[];
  /** A regular expression matched anywhere in the de-identified Series Description, ignoring case. */
  seriesDescription?: string;
  studyDate?: { from?: string; to?: string };
}

/** A task as the page writes it; the agent checks it with the same rules as `radfed site task add`. */
export interface SiteTaskInput {
  id: string;
  name: string;
  /** Their order is the class index: the first label is class 0. */
  labels: string[];
  filters: SiteTaskFiltersView;
  consentScope?: string;
  /** Share of patients kept for validation, 0 to 0.9. */
  validationFraction: number;
  seed: number;
}

export interface SiteTaskView extends SiteTaskInput {
  isDefault: boolean;
  labelledStudies: number;
  updatedAt: string;
}

export interface SaveSiteTaskRequest {
  task: SiteTaskInput;
  /** Replace the task with the same id (labels outside its new label set are dropped). */
  replace: boolean;
  makeDefault: boolean;
}

/** The task form's fields, as the page shows them (dates and the validation share as typed). */
export type TaskFormField =
  | 'id'
  | 'name'
  | 'labels'
  | 'modalities'
  | 'bodyParts'
  | 'seriesDescription'
  | 'dateFrom'
  | 'dateTo'
  | 'consentScope'
  | 'validationPercent'
  | 'seed';

/** What is wrong with each field, in plain words, to show beside it. */
export type TaskFieldErrors = Partial<Record<TaskFormField, string>>;

/** Saved, or not saved with a sentence for each field that needs changing (nothing was written). */
export type SaveSiteTaskResult =
  | { saved: true; created: boolean; labelsDropped: number; tasks: SiteTaskView[] }
  | { saved: false; fieldErrors: TaskFieldErrors };

export type LabelKeyView = 'accession' | 'study-uid';

export interface LabelImportRequest {
  /** The task; the default (or only) task when left out. */
  taskId?: string;
  /** The CSV's bytes, base64: read by the page from a file the person picked. */
  csvBase64: string;
  /** Which column to match on when the file has both. */
  key?: LabelKeyView;
  /** Remove the task's labels this file does not set. */
  replace: boolean;
}

/** One line of the file that was not applied, and why, in words (never the key itself). */
export interface LabelLineProblem {
  line: number;
  message: string;
}

export interface LabelImportView {
  taskId: string;
  key: LabelKeyView;
  rows: number;
  studiesLabelled: number;
  added: number;
  changed: number;
  unchanged: number;
  removed: number;
  /** Every line not applied, in file order (repeated identical rows are not problems). */
  problems: LabelLineProblem[];
  duplicateLines: number;
}

export interface CohortCountView {
  patients: number;
  studies: number;
  instances: number;
}

export interface CohortLabelCountView extends CohortCountView {
  label: string;
  index: number;
}

/** One reason studies were left out, in words, with its counts. */
export interface CohortExclusionView extends CohortCountView {
  reason: 'no-consent' | 'filtered-out' | 'no-label';
  /** A sentence for the person: what this reason means and any detail counts. */
  explanation: string;
}

export interface CohortView {
  task: { id: string; name: string; validationFraction: number; seed: number };
  /**
   * Distinct patients in the cohort. A patient with studies under two labels shows in both label rows,
   * so adding the rows up counts them twice: use these.
   */
  patients: { train: number; validation: number; total: number };
  train: CohortLabelCountView[];
  validation: CohortLabelCountView[];
  images: { train: number; validation: number };
  excluded: CohortExclusionView[];
  /** Files held back by de-identification (in quarantine), never in any cohort. */
  held: { files: number; studies: number };
}
