// Tasks, labels and cohorts: which de-identified studies a task trains on, with which labels, split
// how. The trainer takes `buildCohort(...).train` / `.validation`.
export {
  buildCohort,
  type BuildCohortOptions,
  type Cohort,
  type CohortExclusions,
  type CohortItem,
  type CohortSite,
  type ExcludedCount,
  type LabelCount,
} from './build-cohort.ts';
export { CohortError, type CohortErrorCode } from './cohort-error.ts';
export { splitPatients, validationCount, type Side, type SplitInput } from './cohort-split.ts';
export type { ConsentCheck } from './consent-check.ts';
export { siteConsentCheck } from './site-consent-check.ts';
export {
  importLabels,
  importLabelsFile,
  type LabelImportOptions,
  type LabelImportReport,
  type LabelSite,
} from './label-import.ts';
export { decodeCsv, type LabelKey } from './label-csv.ts';
export {
  parseTaskDefinition,
  readTaskFile,
  TaskDefinitionSchema,
  type TaskDefinition,
  type TaskDefinitionInput,
  type TaskFilters,
} from './task-definition.ts';
export { TaskStore, type AddTaskOptions, type AddTaskResult, type StoredTask } from './task-store.ts';
