// What the cohort asks of the consent register: is this patient (by pseudonym) in, for this scope?
// The site's own gate comes from the consent room (siteConsentCheck); tests may give their own.
export interface ConsentCheck {
  /** Whether the patient with this pseudonym may be used, for a task with this consent scope. */
  isIn(pseudonym: string, scope?: string): boolean;
}
