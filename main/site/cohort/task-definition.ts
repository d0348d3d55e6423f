// A training task as a site knows it: which labels (their declared order is the class index), which
// studies qualify (filters), under which consent scope, and how to split them. Local for now; the
// federation hub will later deliver the same shape.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { JsonTextError, parseJsonText } from '../../../shared/json-text.ts';
import { describeSchemaIssues } from '../../../shared/schema-issues.ts';
import { CONSENT_SCOPE_MAX_LENGTH, SITE_TASK_LIMITS } from '../../../shared/site-rules.ts';
import { CohortError } from './cohort-error.ts';

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

const isRealDate = (value: string): boolean => {
  const m = ISO_DATE.exec(value);
  if (!m) return false;
  const date = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return date.toISOString().slice(0, 10) === value;
};

const isoDate = z.string().refine(isRealDate, 'must be a date written YYYY-MM-DD, e.g. 2015-01-31');

// Code String values (PS3.5 6.2): upper case letters, digits, space and underscore, up to 16.
const codeString = z
  .string()
  .trim()
  .transform((v) => v.toUpperCase())
  .pipe(z.string().regex(/^[A-Z0-9_ ]{1,16}$/, 'must be a DICOM code string such as CT or CHEST'));

const isValidRegex = (pattern: string): boolean => {
  try {
    new RegExp(pattern, 'i');
    return true;
  } catch {
    return false;
  }
};

export const TaskFiltersSchema = z
  .object({
    /** Modality (0008,0060) of the series, any of these. */
    modalities: z.array(codeString).min(1).optional(),
    /** Body Part Examined (0018,0015) of the series, any of these (compared in upper case). */
    bodyParts: z.array(codeString).min(1).optional(),
    /**
     * A JavaScript regular expression (not a glob), matched case-insensitively anywhere in the
     * de-identified Series Description: "^AX LUNG" or "lung|chest".
     */
    seriesDescription: z
      .string()
      .min(1)
      .max(SITE_TASK_LIMITS.seriesDescriptionLength)
      .refine(isValidRegex, 'must be a valid regular expression, e.g. "^AX LUNG"')
      .optional(),
    /** The de-identified Study Date must fall in this window (both ends included, either optional). */
    studyDate: z
      .object({ from: isoDate.optional(), to: isoDate.optional() })
      .strict()
      .refine((w) => !w.from || !w.to || w.from <= w.to, '"from" must not be after "to"')
      .optional(),
  })
  .strict();

export const TaskDefinitionSchema = z
  .object({
    id: z
      .string()
      .regex(
        new RegExp(`^[a-z0-9][a-z0-9-]{0,${SITE_TASK_LIMITS.idLength - 1}}$`),
        'must be lower-case letters, digits and dashes, e.g. chest-nodule',
      ),
    name: z.string().trim().min(1).max(SITE_TASK_LIMITS.nameLength),
    /** The label set. Declared order is the class index: the first label is class 0. */
    labels: z
      .array(z.string().trim().min(1).max(SITE_TASK_LIMITS.labelLength))
      .min(2, 'needs at least two labels, e.g. ["normal", "nodule"]')
      .max(SITE_TASK_LIMITS.labels)
      .refine(
        (labels) => new Set(labels.map((l) => l.toLowerCase())).size === labels.length,
        'must not repeat a label (labels are compared ignoring case)',
      ),
    filters: TaskFiltersSchema.default({}),
    /** Only patients in by consent for this scope (e.g. "chest imaging research"); none: any consent. */
    consentScope: z.string().trim().min(1).max(CONSENT_SCOPE_MAX_LENGTH).optional(),
    /** Share of patients (per label stratum) that go to validation; why at most 0.9: shared/site-rules.ts. */
    validationFraction: z
      .number()
      .min(0)
      .max(SITE_TASK_LIMITS.validationFractionMax)
      .default(SITE_TASK_LIMITS.validationFractionDefault),
    /** Decides the split: the same seed gives the same split of the same patients. */
    seed: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).default(0),
  })
  .strict();

export type TaskFilters = z.infer<typeof TaskFiltersSchema>;
export type TaskDefinition = z.infer<typeof TaskDefinitionSchema>;
/** A task as written by hand: filters, validation fraction and seed may be left out. */
export type TaskDefinitionInput = z.input<typeof TaskDefinitionSchema>;

/** Validates a task; `source` names where it came from in the error message (a file name). */
export function parseTaskDefinition(raw: unknown, source = 'the task'): TaskDefinition {
  const parsed = TaskDefinitionSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  throw new CohortError(
    'bad-task',
    `${source} is not a valid task definition: ${describeSchemaIssues(parsed.error.issues)}. Fix it and try again ` +
      '(see main/site/cohort/README.md for an example).',
  );
}

/** Reads and validates a task definition from a JSON file. */
export function readTaskFile(path: string): TaskDefinition {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new CohortError(
      'bad-file',
      `Cannot read the task file ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'}). Check the path.`,
    );
  }
  let raw: unknown;
  try {
    raw = parseJsonText(text, { what: `The task file ${path}`, todo: 'Fix it and try again.' });
  } catch (error) {
    // Its sentence gives the line and column only: the text itself is never quoted.
    if (error instanceof JsonTextError) throw new CohortError('bad-task', error.message);
    throw error;
  }
  return parseTaskDefinition(raw, path);
}
