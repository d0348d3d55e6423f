// The site status in plain words, for people who are not engineers:
// "3 patients, 5 studies, 120 images; 2 held for review; 1 file could not be read."
import type { SiteStatus } from '../../../../shared/ipc/index.ts';

const numbers = new Intl.NumberFormat('en');

export function formatCount(count: number): string {
  return numbers.format(count);
}

export function countOf(count: number, singular: string, plural: string): string {
  return `${formatCount(count)} ${count === 1 ? singular : plural}`;
}

export function summarizeCounts(counts: SiteStatus['counts']): string {
  if (counts.instances === 0 && counts.held === 0 && counts.rejected === 0) {
    return 'No studies imported yet.';
  }
  const stored = [
    countOf(counts.patients, 'patient', 'patients'),
    countOf(counts.studies, 'study', 'studies'),
    countOf(counts.instances, 'image', 'images'),
  ].join(', ');
  const held = counts.held === 0 ? 'none held for review' : `${formatCount(counts.held)} held for review`;
  const unreadable =
    counts.rejected === 0
      ? 'every file could be read'
      : `${countOf(counts.rejected, 'file', 'files')} could not be read`;
  return `${stored}; ${held}; ${unreadable}.`;
}

export function describeConsentPolicy(policy: SiteStatus['consentPolicy']): string {
  switch (policy) {
    case 'opt-in':
      return 'Opt-in: only patients who agreed take part';
    case 'opt-out':
      return 'Opt-out: every patient takes part unless they withdrew';
    case 'not-set':
      return 'Not set yet';
  }
}

/** PS3.15 Annex E option names, as a site operator would say them. */
const DEID_OPTION_WORDS: Readonly<Record<string, string>> = {
  'retain-safe-private': 'Keep private attributes known to be safe',
  'retain-uids': 'Keep the original UIDs',
  'retain-device-identity': 'Keep device identity',
  'retain-institution-identity': 'Keep institution identity',
  'retain-patient-characteristics': 'Keep patient characteristics (age, sex, size, weight)',
  'retain-long-full-dates': 'Keep full dates',
  'retain-long-modified-dates': 'Keep dates, shifted per patient',
  'clean-descriptors': 'Clean descriptions and comments',
  'clean-structured-content': 'Clean structured reports',
  'clean-graphics': 'Clean graphics and overlays',
};

export function describeDeidOptions(options: readonly string[]): string[] {
  return options.map((name) => DEID_OPTION_WORDS[name] ?? name);
}

export function describeLastIngest(iso: string | null): string {
  if (iso === null) return 'Never';
  const when = new Date(iso);
  if (Number.isNaN(when.getTime())) return 'Unknown';
  return new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' }).format(when);
}
