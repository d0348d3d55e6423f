// The "Training data" page: the site's own task (label set, filters, validation split), its labels
// imported from a CSV, and the cohort they make. Counts and line numbers only: a labels file's keys
// (accession numbers, Study Instance UIDs) never come back to the screen.
//
// The requests check shapes and bounds only: the agent checks a task with the cohort room's own rules
// (main/site/cohort/task-definition.ts, the limits in shared/site-rules.ts), which explain a wrong id,
// label set, filter or validation share in words, beside its field.
import { z } from 'zod';
import { CONSENT_SCOPE_MAX_LENGTH, SITE_TASK_LIMITS } from '../site-rules.ts';

const taskId = z.string().trim().min(1).max(SITE_TASK_LIMITS.idLength);
const codeStrings = z.array(z.string().max(16)).max(50);

export const siteTaskFiltersViewSchema = z.strictObject({
  modalities: codeStrings.optional(),
  bodyParts: codeStrings.optional(),
  /** A regular expression matched anywhere in the de-identified Series Description, ignoring case. */
  seriesDescription: z.string().max(SITE_TASK_LIMITS.seriesDescriptionLength).optional(),
  studyDate: z
    .strictObject({ from: z.string().max(10).optional(), to: z.string().max(10).optional() })
    .optional(),
});
export type SiteTaskFiltersView = z.infer<typeof siteTaskFiltersViewSchema>;

/**
 * A task as the page writes it; the agent checks it with the same rules as `radfed site task add`.
 * Empty text is allowed here: the agent answers each empty or wrong field in words, beside it.
 */
export const siteTaskInputSchema = z.strictObject({
  id: z.string().max(SITE_TASK_LIMITS.idLength),
  name: z.string().max(SITE_TASK_LIMITS.nameLength),
  /** Their order is the class index: the first label is class 0. */
  labels: z.array(z.string().max(SITE_TASK_LIMITS.labelLength)).max(SITE_TASK_LIMITS.labels),
  filters: siteTaskFiltersViewSchema,
  consentScope: z.string().max(CONSENT_SCOPE_MAX_LENGTH).optional(),
  /**
   * Share of patients kept for validation, 0 to SITE_TASK_LIMITS.validationFractionMax (0.9). Any
   * number passes here, so that a share out of range is explained beside its field, not refused whole.
   */
  validationFraction: z.number(),
  seed: z.number(),
});
export type SiteTaskInput = z.infer<typeof siteTaskInputSchema>;

export const siteTaskViewSchema = z.object({
  ...siteTaskInputSchema.shape,
  isDefault: z.boolean(),
  labelledStudies: z.number(),
  updatedAt: z.string(),
});
export type SiteTaskView = z.infer<typeof siteTaskViewSchema>;

export const saveSiteTaskRequestSchema = z.strictObject({
  task: siteTaskInputSchema,
  /** Replace the task with the same id (labels outside its new label set are dropped). */
  replace: z.boolean(),
  makeDefault: z.boolean(),
});
export type SaveSiteTaskRequest = z.infer<typeof saveSiteTaskRequestSchema>;

/** The task form's fields, as the page shows them (dates and the validation share as typed). */
export const taskFormFieldSchema = z.enum([
  'id',
  'name',
  'labels',
  'modalities',
  'bodyParts',
  'seriesDescription',
  'dateFrom',
  'dateTo',
  'consentScope',
  'validationPercent',
  'seed',
]);
export type TaskFormField = z.infer<typeof taskFormFieldSchema>;

/** What is wrong with each field, in plain words, to show beside it. */
export const taskFieldErrorsSchema = z.partialRecord(taskFormFieldSchema, z.string());
export type TaskFieldErrors = z.infer<typeof taskFieldErrorsSchema>;

/** Saved, or not saved with a sentence for each field that needs changing (nothing was written). */
export const saveSiteTaskResultSchema = z.discriminatedUnion('saved', [
  z.object({
    saved: z.literal(true),
    created: z.boolean(),
    labelsDropped: z.number(),
    tasks: z.array(siteTaskViewSchema),
  }),
  z.object({ saved: z.literal(false), fieldErrors: taskFieldErrorsSchema }),
]);
export type SaveSiteTaskResult = z.infer<typeof saveSiteTaskResultSchema>;

export const labelKeyViewSchema = z.enum(['accession', 'study-uid']);
export type LabelKeyView = z.infer<typeof labelKeyViewSchema>;

export const labelImportRequestSchema = z.strictObject({
  /** The task; the default (or only) task when left out. */
  taskId: taskId.optional(),
  /**
   * The CSV's bytes, base64: read by the page from a file the person picked. Requests are 1 MiB at
   * most (the web UI's limit): about 750 KB of CSV.
   */
  csvBase64: z.base64().min(1),
  /** Which column to match on when the file has both. */
  key: labelKeyViewSchema.optional(),
  /** Remove the task's labels this file does not set. */
  replace: z.boolean(),
});
export type LabelImportRequest = z.infer<typeof labelImportRequestSchema>;

/** The task whose cohort to count; the default (or only) task when left out. */
export const cohortSummaryRequestSchema = z.strictObject({ taskId: taskId.optional() });

/** One line of the file that was not applied, and why, in words (never the key itself). */
export const labelLineProblemSchema = z.object({ line: z.number(), message: z.string() });
export type LabelLineProblem = z.infer<typeof labelLineProblemSchema>;

export const labelImportViewSchema = z.object({
  taskId: z.string(),
  key: labelKeyViewSchema,
  rows: z.number(),
  studiesLabelled: z.number(),
  added: z.number(),
  changed: z.number(),
  unchanged: z.number(),
  removed: z.number(),
  /** Every line not applied, in file order (repeated identical rows are not problems). */
  problems: z.array(labelLineProblemSchema),
  duplicateLines: z.number(),
});
export type LabelImportView = z.infer<typeof labelImportViewSchema>;

export const cohortCountViewSchema = z.object({
  patients: z.number(),
  studies: z.number(),
  instances: z.number(),
});
export type CohortCountView = z.infer<typeof cohortCountViewSchema>;

export const cohortLabelCountViewSchema = cohortCountViewSchema.extend({
  label: z.string(),
  index: z.number(),
});
export type CohortLabelCountView = z.infer<typeof cohortLabelCountViewSchema>;

/** One reason studies were left out, in words, with its counts. */
export const cohortExclusionViewSchema = cohortCountViewSchema.extend({
  reason: z.enum(['no-consent', 'filtered-out', 'no-label']),
  /** A sentence for the person: what this reason means and any detail counts. */
  explanation: z.string(),
});
export type CohortExclusionView = z.infer<typeof cohortExclusionViewSchema>;

export const cohortViewSchema = z.object({
  task: z.object({ id: z.string(), name: z.string(), validationFraction: z.number(), seed: z.number() }),
  /**
   * Distinct patients in the cohort. A patient with studies under two labels shows in both label rows,
   * so adding the rows up counts them twice: use these.
   */
  patients: z.object({ train: z.number(), validation: z.number(), total: z.number() }),
  train: z.array(cohortLabelCountViewSchema),
  validation: z.array(cohortLabelCountViewSchema),
  images: z.object({ train: z.number(), validation: z.number() }),
  excluded: z.array(cohortExclusionViewSchema),
  /** Files held back by de-identification (in quarantine), never in any cohort. */
  held: z.object({ files: z.number(), studies: z.number() }),
});
export type CohortView = z.infer<typeof cohortViewSchema>;
