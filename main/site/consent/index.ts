// The consent register: who is in, by keyed pseudonym; imports, single entries, withdrawals
// that purge; the check ingest applies; the answer cohorts and rounds ask for.
export {
  CONSENT_POLICIES,
  CONSENT_STATUSES,
  decideConsent,
  isConsentPolicy,
  isConsentStatus,
  normalizeScope,
  type ConsentDecision,
  type ConsentFact,
  type ConsentPolicy,
  type ConsentStatus,
  type SiteConsentPolicy,
} from './consent-policy.ts';
export { ConsentError, type ConsentErrorCode, type CsvProblem } from './consent-error.ts';
export { readConsentCsv, type ConsentCsv, type ConsentCsvKind, type ConsentRow } from './consent-csv.ts';
export {
  ConsentRegister,
  type ConsentEntry,
  type ConsentPatient,
  type ConsentSource,
  type ConsentUse,
  type NewConsentEntry,
} from './consent-register.ts';
export { ConsentExclusions, type ExcludedStudy, type ExclusionInput } from './consent-exclusions.ts';
export { patientCacheDir, type PurgeResult, type RoundUse } from './purge.ts';
export { SiteConsent, type ConsentSite, type SiteConsentOptions } from './site-consent.ts';
export {
  NO_DATA_MESSAGE,
  type ImportReport,
  type PatientConsentView,
  type SetReport,
  type WithdrawReport,
} from './consent-reports.ts';
export { ConsentGate, type GateInput, type GateSummary } from './consent-gate.ts';
