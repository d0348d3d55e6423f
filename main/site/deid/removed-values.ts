// The identifying values the engine removed or replaced in one input file. They drive two things:
// free-text cleaning (a value removed from one attribute must not survive in another's text) and the
// verification scan of the output. Only the kind of a value is ever reported, never the value.
import type { Tag, Vr } from '../dicom/index.ts';
import { Tags } from '../dicom/index.ts';
import { dateSpellings, datePartOf } from './dates.ts';
import { isDummyText } from './dummy-values.ts';
import { profileTable } from './profile-table.ts';
import { isStandardUid } from './uid-remap.ts';

export type ValueKind =
  | 'patient name component'
  | 'patient name'
  | 'person name component'
  | 'person name'
  | 'patient id'
  | 'accession number'
  | 'identifier'
  | 'birth date'
  | 'date'
  | 'uid'
  | 'address'
  | 'phone number';

const PATIENT_NAME_TAGS = new Set<Tag>([
  Tags.PatientName,
  0x00101001, // Other Patient Names
  0x00101005, // Patient's Birth Name
  0x00101060, // Patient's Mother's Birth Name
  0x00100012, // Name to Use
]);
const PATIENT_ID_TAGS = new Set<Tag>([
  Tags.PatientID,
  Tags.OtherPatientIDs,
  0x00101090 /* Medical Record Locator */,
]);
// Not CS: coded strings hold terms from a fixed set (Type of Patient ID = TEXT), never a person's identifier.
const TEXT_FOR_IDS = new Set<Vr>(['LO', 'SH', 'LT', 'ST', 'UT', 'UC']);

/**
 * Which kind of identifying value an element holds, from its tag, VR and name (the Table E.1-1 row's
 * name or the dictionary keyword); undefined for values that identify no one (codes, measurements).
 */
export function identifierKind(tag: Tag, vr: Vr, name: string): ValueKind | undefined {
  if (PATIENT_NAME_TAGS.has(tag)) return 'patient name';
  if (PATIENT_ID_TAGS.has(tag)) return 'patient id';
  if (tag === Tags.AccessionNumber) return 'accession number';
  if (tag === Tags.PatientBirthDate) return 'birth date';
  switch (vr) {
    case 'PN':
      return 'person name';
    case 'DA':
    case 'DT':
      return 'date';
    case 'UI':
      // Only UIDs Table E.1-1 lists identify an instance, study or device; unlisted ones (SOP Class,
      // Coding Scheme, vendor class UIDs) are shared by everyone and stay in the output.
      return profileTable().rows.has(tag) ? 'uid' : undefined;
  }
  if (!TEXT_FOR_IDS.has(vr)) return undefined;
  let kind = kindByName.get(name);
  if (kind === undefined) {
    kind = kindOfName(name) ?? null;
    kindByName.set(name, kind);
  }
  return kind ?? undefined;
}

/** Attribute names (dictionary keywords and table rows, a fixed set) → kind, worked out once each. */
const kindByName = new Map<string, ValueKind | null>();

function kindOfName(name: string): ValueKind | undefined {
  if (/address/i.test(name)) return 'address';
  if (/telephone|phone|telecom/i.test(name)) return 'phone number';
  if (/(\bID|IDs|Identifier|Identification|Number|Numbers|Locator)\b|[a-z](ID|IDs|Number)$/.test(name)) {
    return 'identifier';
  }
  return undefined;
}

/** Words that stand in for a name rather than being one: never searched for. */
const PLACEHOLDER_WORDS = new Set([
  'ANON',
  'ANONYMOUS',
  'ANONYMIZED',
  'UNKNOWN',
  'NONE',
  'NULL',
  'NAME',
  'PATIENT',
  'TEST',
  'MRS',
  'MISS',
  'PROF',
  'PHD',
  'III',
]);

/** Shortest identifier searched for: shorter ones would match everywhere (documented limitation). */
export const MIN_SEARCH_LENGTH = 3;

const nameKinds = (kind: ValueKind): [ValueKind, ValueKind] =>
  kind === 'patient name'
    ? ['patient name component', 'patient name']
    : ['person name component', 'person name'];

type Needle = readonly [string, ValueKind];

const isPatientKind = (kind: ValueKind): boolean =>
  kind === 'patient name component' || kind === 'patient name' || kind === 'patient id';

export class RemovedValues {
  /** Search text (upper case) → its needle; the first kind recorded for a text wins, a patient's over others. */
  private readonly needles = new Map<string, Needle>();
  /** Values the chosen options explicitly retain elsewhere in the file: not a leak when seen. */
  private readonly retained = new Set<string>();

  add(kind: ValueKind, raw: string): void {
    // Most values hold one value: no split, no array.
    if (raw.indexOf('\\') === -1) {
      const v = raw.trim();
      if (v !== '') this.addOne(kind, v);
      return;
    }
    for (const value of raw.split('\\')) {
      const v = value.trim();
      if (v !== '') this.addOne(kind, v);
    }
  }

  /** A value kept on purpose by an option (Retain Full Dates, Retain UIDs, Retain Device Identity...). */
  retain(vr: Vr, raw: string): void {
    for (const value of raw.split('\\')) {
      const v = value.trim();
      if (v === '') continue;
      this.retained.add(v.toUpperCase());
      if (vr === 'DA' || vr === 'DT') {
        const date = datePartOf(v);
        if (date) for (const s of dateSpellings(date)) this.retained.add(s.toUpperCase());
      }
    }
  }

  /**
   * The needles to search for, longest first, without those an option keeps on purpose: a retained
   * value itself, or a part of one (a patient living in the town the retained institution is named
   * after: that town is in the output by the site's choice, and would otherwise hold every file).
   */
  searchList(): Needle[] {
    const all = Array.from(this.needles.values());
    const kept =
      this.retained.size === 0
        ? all
        : all.filter(([text]) => !this.retained.has(text) && !retainedContains(this.retained, text));
    return longestFirst(kept);
  }

  private addOne(kind: ValueKind, v: string): void {
    let byValue = needleCache.get(kind);
    if (byValue === undefined) needleCache.set(kind, (byValue = new Map()));
    let found = byValue.get(v);
    if (found === undefined) {
      if (++needleCacheSize > NEEDLE_CACHE_LIMIT) {
        needleCache.clear();
        needleCacheSize = 1;
        needleCache.set(kind, (byValue = new Map()));
      }
      found = needlesOf(kind, v);
      byValue.set(v, found);
    }
    for (const needle of found) {
      const existing = this.needles.get(needle[0]);
      if (existing === undefined || (isPatientKind(needle[1]) && !isPatientKind(existing[1]))) {
        this.needles.set(needle[0], needle);
      }
    }
  }
}

/**
 * The needles ordered by length, longest first, in recorded order within a length (what a stable
 * sort gives), by counting: a sort calls its comparator some 400 times per file, which costs more
 * than all the rest of this while the code is not yet compiled (the first files of each thread).
 */
function longestFirst(needles: readonly Needle[]): Needle[] {
  let longest = 0;
  for (const [text] of needles) if (text.length > longest) longest = text.length;
  // starts[n]: where the needles of length n begin in the output (longer ones come first).
  const starts = new Array<number>(longest + 2).fill(0);
  for (const [text] of needles) starts[text.length] = (starts[text.length] as number) + 1;
  let at = 0;
  for (let n = longest; n >= 0; n--) {
    const count = starts[n] as number;
    starts[n] = at;
    at += count;
  }
  const out = new Array<Needle>(needles.length);
  for (const needle of needles) {
    const n = needle[0].length;
    out[starts[n] as number] = needle;
    starts[n] = (starts[n] as number) + 1;
  }
  return out;
}

function retainedContains(retained: ReadonlySet<string>, text: string): boolean {
  for (const kept of retained) if (containsWord(kept, text)) return true;
  return false;
}

/**
 * What one removed value adds to the search, as (upper-case text, kind) pairs in the order they are
 * recorded. A value gives the same pairs in every file, and a series repeats its names, IDs and dates
 * in every slice: they are worked out once per run (kept in memory only, like the UID map).
 */
const needleCache = new Map<ValueKind, Map<string, readonly Needle[]>>();
let needleCacheSize = 0;
const NEEDLE_CACHE_LIMIT = 20_000;

function needlesOf(kind: ValueKind, v: string): Needle[] {
  const found: Needle[] = [];
  const put = (text: string, k: ValueKind): void => {
    const key = text.toUpperCase();
    if (key.length < MIN_SEARCH_LENGTH || isDummyText(key) || PLACEHOLDER_WORDS.has(key)) return;
    found.push([key, k]);
  };
  switch (kind) {
    case 'patient name':
    case 'person name': {
      const [componentKind, wholeKind] = nameKinds(kind);
      const components = v.split(/[\^=\s,.]+/).filter((c) => c !== '');
      // Double-barrelled names are also searched for by part (SMITH-JONES: SMITH, JONES).
      for (const c of components) {
        if (c.includes('-'))
          for (const part of c.split('-')) if (part.length >= MIN_SEARCH_LENGTH) put(part, componentKind);
      }
      let long = 0;
      for (const c of components) {
        if (c.length >= MIN_SEARCH_LENGTH && !PLACEHOLDER_WORDS.has(c.toUpperCase())) {
          put(c, componentKind);
          long++;
        }
      }
      // A name made only of short components (LI^YU) is searched for whole, in the usual orders.
      if (long === 0 && components.length > 0) {
        put(components.join(' '), wholeKind);
        put(components.join('^'), wholeKind);
        put([...components].reverse().join(' '), wholeKind);
      }
      break;
    }
    case 'birth date':
    case 'date': {
      const date = datePartOf(v);
      if (date) for (const s of dateSpellings(date)) put(s, kind);
      break;
    }
    case 'uid':
      if (!isStandardUid(v)) put(v, kind);
      break;
    case 'address':
      put(v, kind);
      for (const part of v.split(/[\^,;\r\n]+/)) if (part.trim().length >= 4) put(part.trim(), kind);
      break;
    case 'phone number': {
      put(v, kind);
      const digits = v.replace(/\D/g, '');
      if (digits.length >= 7) put(digits, kind);
      break;
    }
    default:
      put(v, kind);
  }
  return found;
}

/** Whether `word` stands in `text` as a whole word (both upper case). */
function containsWord(text: string, word: string): boolean {
  let at = text.indexOf(word);
  while (at !== -1) {
    const before = at === 0 ? '' : text.charAt(at - 1);
    const after = text.charAt(at + word.length);
    if (!/[A-Z0-9]/.test(before) && !/[A-Z0-9]/.test(after)) return true;
    at = text.indexOf(word, at + 1);
  }
  return false;
}
