// The PS3.15 Annex E options a site may choose on top of the Basic Application Level
// Confidentiality Profile (PS3.15 E.3), and the Table E.1-1 column each one reads.
import { RadfedError } from '../../../shared/errors.ts';

export const DEID_OPTIONS = [
  'retain-safe-private',
  'retain-uids',
  'retain-device-identity',
  'retain-institution-identity',
  'retain-patient-characteristics',
  'retain-long-full-dates',
  'retain-long-modified-dates',
  'clean-descriptors',
  'clean-structured-content',
  'clean-graphics',
] as const;

export type DeidOption = (typeof DEID_OPTIONS)[number];

/** The option's column in the Table E.1-1 JSON (`../shared/data/ps315/README.md`). */
export const OPTION_COLUMN: Readonly<Record<DeidOption, string>> = {
  'retain-safe-private': 'rtnSafePrivOpt',
  'retain-uids': 'rtnUIDsOpt',
  'retain-device-identity': 'rtnDevIdOpt',
  'retain-institution-identity': 'rtnInstIdOpt',
  'retain-patient-characteristics': 'rtnPatCharsOpt',
  'retain-long-full-dates': 'rtnLongFullDatesOpt',
  'retain-long-modified-dates': 'rtnLongModifDatesOpt',
  'clean-descriptors': 'cleanDescOpt',
  'clean-structured-content': 'cleanStructContOpt',
  'clean-graphics': 'cleanGraphOpt',
};

export type DeidSettingsErrorCode = 'unknown-option' | 'conflicting-options' | 'weak-secret';

export class DeidSettingsError extends RadfedError<DeidSettingsErrorCode> {
  override readonly name = 'DeidSettingsError';
}

const isDeidOption = (name: string): name is DeidOption => (DEID_OPTIONS as readonly string[]).includes(name);

/** Validates option names (for example from `--option`), removing duplicates; throws DeidSettingsError. */
export function parseDeidOptions(names: readonly string[]): DeidOption[] {
  const options: DeidOption[] = [];
  for (const name of names) {
    const trimmed = name.trim();
    if (!isDeidOption(trimmed)) {
      throw new DeidSettingsError(
        'unknown-option',
        `Unknown de-identification option "${trimmed}". Valid options: ${DEID_OPTIONS.join(', ')}.`,
      );
    }
    if (!options.includes(trimmed)) options.push(trimmed);
  }
  checkOptionsCompatible(options);
  return options;
}

/** PS3.15 E.3.6: full dates and modified dates are two answers to one question; only one may be chosen. */
export function checkOptionsCompatible(options: readonly DeidOption[]): void {
  if (options.includes('retain-long-full-dates') && options.includes('retain-long-modified-dates')) {
    throw new DeidSettingsError(
      'conflicting-options',
      'The options retain-long-full-dates and retain-long-modified-dates exclude each other (PS3.15 E.3.6): ' +
        'keep dates as they are, or shift them, not both. Choose one of them.',
    );
  }
}

/** HMAC keys shorter than this are too easy to guess, and every pseudonym would be reversible. */
export const MIN_SECRET_BYTES = 16;

export function checkSecret(secret: Uint8Array): void {
  if (secret.length < MIN_SECRET_BYTES) {
    throw new DeidSettingsError(
      'weak-secret',
      `The site secret is ${secret.length} bytes; at least ${MIN_SECRET_BYTES} are needed. ` +
        'Use the site key file (32 random bytes) created by `radfed site init` or `--key`.',
    );
  }
}
