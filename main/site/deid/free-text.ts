// Free-text cleaning (Table E.1-1 action C on descriptions and comments, PS3.15 E.3.5 Clean
// Descriptors): every value removed from elsewhere in the same file is taken out, and so is anything
// that looks like a date, a phone number, an e-mail address, a UID or a long number, because free
// text can mention identifiers this file never carried in a header.
import type { Vr } from '../dicom/index.ts';
import type { RemovedValues, ValueKind } from './removed-values.ts';

/** What replaces each removed piece of text: short, so a cleaned value never outgrows its VR. */
export const REDACTION = '***';

// Escapes regex syntax characters ('-' is left alone: it is literal outside a class).
const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/**
 * Letters and digits on either side mean the needle is part of a longer word ("ANN" in "SCANNER").
 * Text is latin1-decoded, so letters are ASCII and U+00C0-U+00FF. One boundary around one
 * alternation, and no Unicode property classes: a regex is compiled per file, and this form compiles
 * about a hundred times faster than per-needle lookarounds with \p{L}.
 */
const WORD = 'A-Za-z0-9\\xC0-\\xD6\\xD8-\\xF6\\xF8-\\xFF';

export interface ValueMatcher {
  /** Every needle, as one case-insensitive alternation (longest first); null when there is none. */
  readonly regex: RegExp | null;
  /**
   * The needles of 6+ characters only, for raw bytes (numbers and other binary values there can
   * spell a short ID such as a 3-digit Study ID by chance); null when there is none.
   */
  readonly rawRegex: RegExp | null;
  kindOf(matched: string): ValueKind | undefined;
  needles: readonly (readonly [string, ValueKind])[];
}

/** Shortest needle searched for in raw bytes. */
export const MIN_RAW_LENGTH = 6;

const alternationOf = (needles: readonly (readonly [string, ValueKind])[]): RegExp | null =>
  needles.length === 0
    ? null
    : new RegExp(`(?<![${WORD}])(?:${needles.map(([n]) => escape(n)).join('|')})(?![${WORD}])`, 'gi');

/**
 * The regular expressions are compiled on first use: most files have no free text to clean, and their
 * verification searches the needles with indexOf (needle-scan.ts), so compiling them per file (a
 * hundred needles, two alternations) would cost more than the rest of that file's de-identification.
 */
export function buildMatcher(values: RemovedValues): ValueMatcher {
  const needles = values.searchList();
  let kinds: Map<string, ValueKind> | undefined;
  let regex: RegExp | null | undefined;
  let rawRegex: RegExp | null | undefined;
  return {
    get regex() {
      if (regex === undefined) regex = alternationOf(needles);
      return regex;
    },
    get rawRegex() {
      if (rawRegex === undefined)
        rawRegex = alternationOf(needles.filter(([n]) => n.length >= MIN_RAW_LENGTH));
      return rawRegex;
    },
    kindOf: (m) => (kinds ??= new Map(needles)).get(m.toUpperCase()),
    needles,
  };
}

// Every quantifier is bounded, so a hostile value (10,000 digits and dots) costs linear time, not
// quadratic backtracking.
const MONTH = '(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]{0,6}\\.?';

/** Identifier-like patterns, whatever this file's headers held (order matters: longest forms first). */
const PATTERNS: readonly RegExp[] = [
  /[\p{L}\p{N}._%+-]{1,64}@[\p{L}\p{N}-]{1,63}(?:\.[\p{L}\p{N}-]{1,63}){1,8}/gu, // e-mail
  /(?<![\p{L}\p{N}])\d{1,39}(?:\.\d{1,39}){3,32}(?![\p{L}\p{N}])/gu, // UID-like dotted numbers
  /(?<!\d)\d{4}[-/.]\d{1,2}[-/.]\d{1,2}(?!\d)/g, // 2023-01-05
  /(?<!\d)\d{1,2}[-/.]\d{1,2}[-/.](?:\d{4}|\d{2})(?!\d)/g, // 05/01/2023, 5.1.23
  new RegExp(`(?<![\\p{L}\\p{N}])\\d{1,2}(?:st|nd|rd|th)?\\s{1,3}${MONTH},?\\s{1,3}\\d{2,4}(?!\\d)`, 'giu'), // 5 Jan 2023
  new RegExp(`(?<![\\p{L}\\p{N}])${MONTH}\\s{1,3}\\d{1,2}(?:st|nd|rd|th)?,?\\s{1,3}\\d{4}(?!\\d)`, 'giu'), // Jan 5, 2023
  /(?<![\p{L}\p{N}])\+?\(?\d[\d\s().-]{5,20}\d(?!\d)/gu, // phone numbers: kept only with 7+ digits, below
  /\d{6,}/g, // long digit runs: record numbers, compact dates
];

const PHONE_PATTERN = PATTERNS[6];

/** Length limits of the text VRs in characters (PS3.5 6.2); cleaning never lengthens a value anyway. */
const MAX_LENGTH: Partial<Record<Vr, number>> = { SH: 16, LO: 64, ST: 1024, LT: 10240, AE: 16, CS: 16 };

/** Cleans one free-text value; returns it unchanged when there is nothing to take out. */
export function cleanFreeText(text: string, matcher: ValueMatcher, vr: Vr): string {
  let out = matcher.regex ? text.replace(matcher.regex, REDACTION) : text;
  for (const pattern of PATTERNS) {
    if (pattern === PHONE_PATTERN) {
      out = out.replace(pattern, (m) => (m.replace(/\D/g, '').length >= 7 ? REDACTION : m));
    } else {
      out = out.replace(pattern, REDACTION);
    }
  }
  const max = MAX_LENGTH[vr];
  return max !== undefined && out.length > max ? out.slice(0, max) : out;
}
