// Limits that both the site agent and the IPC requests of its screens check, written once. The agent's
// own schemas (main/site/store/site-config.ts, main/site/cohort/task-definition.ts) explain a broken
// limit in words; the IPC request schemas (shared/ipc) only refuse what no screen would send.
// Pure and without dependencies: the renderer bundles it too.

/** An AE title (PS3.5 6.2, VR AE): at most 16 characters of printable ASCII without a backslash. */
export const AE_TITLE_MAX_LENGTH = 16;
export const AE_TITLE_CHARACTERS = /^[\x20-\x5b\x5d-\x7e]+$/;

/** A patient's pseudonym in the consent register: RF and 16 hex digits of the keyed hash. */
export const PSEUDONYM_PATTERN = /^RF[0-9A-F]{16}$/;

/** What the consent covers ("chest imaging research"), as the site and its tasks write it. */
export const CONSENT_SCOPE_MAX_LENGTH = 200;

/** The name of the person who set the site up, recorded with the audit entries made from the screens. */
export const OPERATOR_NAME_MAX_LENGTH = 100;

/** A site's own training task (main/site/cohort/task-definition.ts). */
export const SITE_TASK_LIMITS = {
  idLength: 64,
  nameLength: 200,
  labelLength: 64,
  labels: 100,
  /** A regular expression over the Series Description. */
  seriesDescriptionLength: 500,
  /**
   * The largest share of patients kept for validation. The split is per label stratum, and at most
   * 90 % leaves every stratum patients to train on: a task that kept all of them for validation would
   * train on nothing. The form shows it as a percentage (0 to 90 %).
   */
  validationFractionMax: 0.9,
  validationFractionDefault: 0.2,
} as const;

/** The same largest validation share as the task form shows it, in percent (90). */
export const VALIDATION_PERCENT_MAX = Math.round(SITE_TASK_LIMITS.validationFractionMax * 100);
