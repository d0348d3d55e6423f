// A site task's problems as the form shows them: each zod issue of TaskDefinitionSchema mapped to the
// field it belongs to, in plain words (no JSON paths, no file names). The first problem of a field wins.
import type { TaskFieldErrors, TaskFormField } from '../../../shared/ipc/index.ts';
import {
  CONSENT_SCOPE_MAX_LENGTH,
  SITE_TASK_LIMITS,
  VALIDATION_PERCENT_MAX,
} from '../../../shared/site-rules.ts';

/** The parts of a zod issue this needs (zod's own type would tie the map to one zod version). */
export interface TaskIssue {
  readonly path: readonly PropertyKey[];
  readonly code: string;
  readonly message: string;
}

/** `typedId`: the ID as typed, so an empty one is asked for rather than called malformed. */
export function taskFieldErrors(issues: readonly TaskIssue[], typedId = ''): TaskFieldErrors {
  const errors: TaskFieldErrors = {};
  for (const issue of issues) {
    const field = fieldOf(issue.path);
    if (errors[field] !== undefined) continue;
    errors[field] =
      field === 'id' && typedId.trim() === ''
        ? 'Give the task a short ID, e.g. chest-nodule.'
        : describe(field, issue);
  }
  return errors;
}

function fieldOf(path: readonly PropertyKey[]): TaskFormField {
  const [first, second, third] = path.map(String);
  if (first === 'filters') {
    if (second === 'modalities') return 'modalities';
    if (second === 'bodyParts') return 'bodyParts';
    if (second === 'seriesDescription') return 'seriesDescription';
    // "from" after "to" is reported on the window: the end date is the one to look at.
    if (second === 'studyDate') return third === 'from' ? 'dateFrom' : 'dateTo';
    return 'seriesDescription';
  }
  if (first === 'validationFraction') return 'validationPercent';
  if (
    first === 'id' ||
    first === 'name' ||
    first === 'labels' ||
    first === 'consentScope' ||
    first === 'seed'
  ) {
    return first;
  }
  return 'name';
}

const tooBig = (issue: TaskIssue) => issue.code === 'too_big';

function describe(field: TaskFormField, issue: TaskIssue): string {
  switch (field) {
    case 'id':
      return `Use only lower-case letters, digits and dashes, starting with a letter or digit (e.g. chest-nodule); at most ${SITE_TASK_LIMITS.idLength}.`;
    case 'name':
      return tooBig(issue)
        ? `Keep the name under ${SITE_TASK_LIMITS.nameLength} characters.`
        : 'Give the task a name people will recognise, e.g. Lung nodule.';
    case 'labels':
      if (issue.message.includes('repeat')) return 'Give each label once (capitals do not make a new label).';
      if (issue.path.length > 1)
        return tooBig(issue)
          ? `Keep each label under ${SITE_TASK_LIMITS.labelLength} characters.`
          : 'A label is empty.';
      if (tooBig(issue)) return `At most ${SITE_TASK_LIMITS.labels} labels.`;
      return 'Give at least two labels, separated by commas, in class order: e.g. normal, nodule.';
    case 'modalities':
      return 'Use DICOM modality codes separated by commas, e.g. DX, CR (letters and digits, up to 16 each).';
    case 'bodyParts':
      return 'Use DICOM body part codes separated by commas, e.g. CHEST (letters and digits, up to 16 each).';
    case 'seriesDescription':
      return tooBig(issue)
        ? `Keep the pattern under ${SITE_TASK_LIMITS.seriesDescriptionLength} characters.`
        : 'This pattern cannot be used: check brackets and signs such as ( [ * + ?. Leave it empty to take any series.';
    case 'dateFrom':
      return 'Give a real date, or leave it empty.';
    case 'dateTo':
      return issue.message.includes('after')
        ? 'The last date is before the first date: swap them.'
        : 'Give a real date, or leave it empty.';
    case 'consentScope':
      return `Keep the consent scope under ${CONSENT_SCOPE_MAX_LENGTH} characters.`;
    case 'validationPercent':
      return `Keep between 0 and ${VALIDATION_PERCENT_MAX} % of patients for validation.`;
    case 'seed':
      return 'Use a whole number, 0 or more.';
  }
}
