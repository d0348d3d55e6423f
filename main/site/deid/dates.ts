// Dates under Retain Longitudinal Temporal Information with Modified Dates (PS3.15 E.3.6): every DA
// and the date part of every DT of a patient moves by one offset, derived from the secret and the
// patient pseudonym, so intervals between a patient's dates survive and the real dates do not.
import { keyedHash } from './keyed-hashes.ts';

const MIN_SHIFT_DAYS = 365;
const MAX_SHIFT_DAYS = 3650;
const DAY_MS = 86_400_000;

/** The patient's offset in days: between -3650 and -365, never 0, the same in every file and run. */
export function dateOffsetDays(secret: Uint8Array, pseudonym: string): number {
  const n = keyedHash(secret, 'date-offset', pseudonym).readUInt32BE(0);
  return -(MIN_SHIFT_DAYS + (n % (MAX_SHIFT_DAYS - MIN_SHIFT_DAYS + 1)));
}

const pad = (n: number, width: number): string => String(n).padStart(width, '0');

/** Shifts a YYYYMMDD date; undefined when it is not a real calendar date or leaves years 1..9999. */
function shiftYmd(year: number, month: number, day: number, days: number): string | undefined {
  const ms = Date.UTC(year, month - 1, day);
  const check = new Date(ms);
  // Date.UTC maps years 0..99 to 1900..1999; setUTCFullYear puts them back.
  check.setUTCFullYear(year);
  if (check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day) return undefined;
  const shifted = new Date(check.getTime() + days * DAY_MS);
  const y = shifted.getUTCFullYear();
  if (y < 1 || y > 9999) return undefined;
  return `${pad(y, 4)}${pad(shifted.getUTCMonth() + 1, 2)}${pad(shifted.getUTCDate(), 2)}`;
}

/**
 * Shifts one DA value: YYYYMMDD, or the ACR-NEMA form YYYY.MM.DD (written back as YYYYMMDD), or a
 * range A-B (query form). Undefined when it cannot be read: the caller replaces it with a dummy.
 */
export function shiftDa(value: string, days: number): string | undefined {
  if (value === '') return '';
  if (value.includes('-')) {
    const parts = value.split('-');
    if (parts.length !== 2) return undefined;
    const shifted = parts.map((p) => (p === '' ? '' : shiftDa(p, days)));
    return shifted.some((s) => s === undefined) ? undefined : shifted.join('-');
  }
  const m = /^(\d{4})\.?(\d{2})\.?(\d{2})$/.exec(value.trim());
  if (!m) return undefined;
  return shiftYmd(Number(m[1]), Number(m[2]), Number(m[3]), days);
}

/**
 * Shifts the date part of one DT value (YYYY[MM[DD[HHMMSS.FFFFFF]]][&ZZXX]); time and offset stay.
 * A partial date (YYYY or YYYYMM) is shifted from its first day and written with the same precision.
 */
export function shiftDt(value: string, days: number): string | undefined {
  if (value === '') return '';
  const m = /^(\d{4})(\d{2})?(\d{2})?(.*)$/.exec(value.trim());
  if (!m) return undefined;
  const [, y, mo, d, rest = ''] = m;
  if (rest !== '' && d === undefined) {
    // Only a full date may be followed by a time; YYYY+0100 (year with offset) keeps its offset.
    if (!/^[+-]\d{4}$/.test(rest)) return undefined;
  }
  const shifted = shiftYmd(Number(y), mo ? Number(mo) : 1, d ? Number(d) : 1, days);
  if (shifted === undefined) return undefined;
  const precision = d ? 8 : mo ? 6 : 4;
  return shifted.slice(0, precision) + rest;
}

/** Shifts a multi-valued DA or DT string (values separated by backslash). */
export function shiftDateValues(value: string, vr: 'DA' | 'DT', days: number): string | undefined {
  const shifted = value.split('\\').map((v) => (vr === 'DA' ? shiftDa(v, days) : shiftDt(v, days)));
  return shifted.some((s) => s === undefined) ? undefined : shifted.join('\\');
}

const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

/**
 * The ways a date removed from a header is commonly written in free text, for cleaning and for the
 * verification scan: 20230105, 2023-01-05, 2023/01/05, 2023.01.05, 05/01/2023, 01/05/2023,
 * 05.01.2023, 05-01-2023, 5/1/2023, 5 Jan 2023, 5 January 2023, Jan 5, 2023, January 5, 2023.
 */
export function dateSpellings(yyyymmdd: string): readonly string[] {
  let spellings = spellingCache.get(yyyymmdd);
  if (spellings === undefined) {
    // A study's dates repeat in every slice: spelling them once per run saves a regex and 15 strings a date.
    if (spellingCache.size >= SPELLING_CACHE_LIMIT) spellingCache.clear();
    spellings = Object.freeze(spellDate(yyyymmdd));
    spellingCache.set(yyyymmdd, spellings);
  }
  return spellings;
}

const spellingCache = new Map<string, readonly string[]>();
const SPELLING_CACHE_LIMIT = 10_000;

function spellDate(yyyymmdd: string): string[] {
  const m = /^(\d{4})(\d{2})(\d{2})$/.exec(yyyymmdd);
  if (!m) return [];
  const [, y = '', mo = '', d = ''] = m;
  const month = MONTHS[Number(mo) - 1];
  const day = String(Number(d));
  const mon = String(Number(mo));
  const out = [
    yyyymmdd,
    `${y}-${mo}-${d}`,
    `${y}/${mo}/${d}`,
    `${y}.${mo}.${d}`,
    `${d}/${mo}/${y}`,
    `${mo}/${d}/${y}`,
    `${d}.${mo}.${y}`,
    `${d}-${mo}-${y}`,
    `${mo}-${d}-${y}`,
    `${day}/${mon}/${y}`,
    `${mon}/${day}/${y}`,
  ];
  if (month) {
    out.push(`${day} ${month.slice(0, 3)} ${y}`, `${day} ${month} ${y}`);
    out.push(`${month.slice(0, 3)} ${day}, ${y}`, `${month} ${day}, ${y}`);
  }
  return [...new Set(out)];
}

/** The YYYYMMDD date inside a DA or DT value, if it has a full one. */
export function datePartOf(value: string): string | undefined {
  const m = /^(\d{4})\.?(\d{2})\.?(\d{2})/.exec(value.trim());
  return m ? `${m[1]}${m[2]}${m[3]}` : undefined;
}
