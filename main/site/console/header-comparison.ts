// One instance's header before and after de-identification, row by row, as the Studies page shows it.
// The original's values never leave the agent: a value that de-identification changed or removed is
// masked to its length, and so is a kept value of any attribute that can identify someone (PS3.15
// Table E.1-1 lists it, it is private, or its VR holds names, dates or free text): such a value is
// shown only in the after column, where it is what the research file says. A value de-identification
// did not release (a held file's, found by verification) can identify someone in either column, so any
// shown value that contains a value de-identification removed from this input is masked as well.
import {
  formatTag,
  isPrivateTag,
  keywordOf,
  readNumbers,
  readString,
  TEXT_VRS,
  type DicomDataset,
  type DicomElement,
  type DicomFile,
  type Tag,
  type TransferSyntax,
  type Vr,
} from '../dicom/index.ts';
import { profileTable } from '../deid/index.ts';
import type { HeaderAction, HeaderRow } from '../../../shared/ipc/index.ts';

const SHOWN_TEXT = 80;
const SHOWN_NUMBERS = 8;
const PIXEL_DATA = 0x7fe00010;

/** VRs whose values can be a name, a date or any text a person typed: never shown from the original. */
const IDENTIFYING_VRS: ReadonlySet<Vr> = new Set<Vr>([
  'AE',
  'DA',
  'DT',
  'LO',
  'LT',
  'PN',
  'SH',
  'ST',
  'UC',
  'UN',
  'UR',
  'UT',
]);

/**
 * Whether an original value of this attribute may identify someone, whatever de-identification did
 * with it: Table E.1-1 lists the attribute, or it is private, or its VR can carry a name or free text.
 */
export function mayIdentify(tag: Tag, vr: Vr): boolean {
  return profileTable().rows.has(tag) || isPrivateTag(tag) || IDENTIFYING_VRS.has(vr);
}

export interface HeaderMasking {
  /**
   * The values de-identification removed from this input, as one pattern (its verification matcher).
   * Give it when the after side was not released (de-identified in memory): a shown value on either
   * side that contains one of them is masked. Null or absent: the after side is a released file.
   */
  removedValues?: RegExp | null;
}

/** A masked value: its size only (`•••••• (12 characters)`). */
export function maskedValue(el: DicomElement): string {
  if (el.items) return `•••••• (${plural(el.items.length, 'item')})`;
  const bytes = el.encapsulated?.length ?? el.value?.length ?? 0;
  if (bytes === 0) return '(empty)';
  if (isText(el)) return `•••••• (${plural(readString(el).length, 'character')})`;
  return `•••••• (${plural(bytes, 'byte')})`;
}

/** A value as the screen shows it: text (cut to a readable length), numbers, or a size. */
export function shownValue(el: DicomElement, ts: TransferSyntax): string {
  if (el.items) return `sequence of ${plural(el.items.length, 'item')}`;
  if (el.encapsulated) return `compressed pixel data, ${plural(el.encapsulated.length, 'byte')}`;
  const bytes = el.value?.length ?? 0;
  if (bytes === 0) return '(empty)';
  if (el.tag === PIXEL_DATA) return `pixel data, ${plural(bytes, 'byte')}`;
  if (isText(el)) {
    const text = readString(el);
    return text.length > SHOWN_TEXT ? `${text.slice(0, SHOWN_TEXT)}…` : text;
  }
  const numbers = readNumbers(el, ts);
  if (numbers.length > 0) {
    const shown = numbers.slice(0, SHOWN_NUMBERS).join('\\');
    return numbers.length > SHOWN_NUMBERS ? `${shown}\\… (${numbers.length} values)` : shown;
  }
  return `binary, ${plural(bytes, 'byte')}`;
}

/**
 * Rows for every top-level element of the file meta and data set of either file, in tag order.
 * `before` null: only the de-identified header is known; every row is then `kept` or `added` with
 * no `before` value, and the caller says why.
 */
export function compareHeaders(
  before: DicomFile | null,
  after: DicomFile,
  masking: HeaderMasking = {},
): HeaderRow[] {
  return [
    ...compareDatasets(
      before?.meta ?? null,
      after.meta,
      before?.transferSyntax,
      after.transferSyntax,
      masking,
    ),
    ...compareDatasets(
      before?.dataset ?? null,
      after.dataset,
      before?.transferSyntax,
      after.transferSyntax,
      masking,
    ),
  ];
}

function compareDatasets(
  before: DicomDataset | null,
  after: DicomDataset,
  beforeTs: TransferSyntax | undefined,
  afterTs: TransferSyntax,
  masking: HeaderMasking,
): HeaderRow[] {
  const tags = [...new Set([...(before?.keys() ?? []), ...after.keys()])].sort((a, b) => a - b);
  const removed = masking.removedValues ?? null;
  return tags.map((tag) => {
    const old = before?.get(tag);
    const now = after.get(tag);
    const el = (now ?? old) as DicomElement;
    const action: HeaderAction = before === null ? 'kept' : actionOf(old, now);
    const keyword = keywordOf(tag) ?? (isPrivateTag(tag) ? 'private' : 'unknown');
    let shownBefore: string | null = null;
    if (before !== null && old !== undefined) {
      const showable = action === 'kept' && beforeTs !== undefined && !mayIdentify(tag, old.vr);
      shownBefore = showable ? guarded(shownValue(old, beforeTs), old, removed) : maskedValue(old);
    }
    return {
      tag: formatTag(tag),
      keyword,
      vr: el.vr,
      action,
      before: shownBefore,
      after: now === undefined ? null : guarded(shownValue(now, afterTs), now, removed),
    };
  });
}

/** The shown text, or the element masked when the text holds a value de-identification removed. */
function guarded(shown: string, el: DicomElement, removed: RegExp | null): string {
  if (removed === null) return shown;
  // The whole text, not only the shown part: a value cut at the screen's length could end in half a name.
  // search() starts at 0 whatever the pattern's lastIndex (it is a global pattern, shared).
  const text = isText(el) && el.value ? readString(el) : shown;
  return text.search(removed) !== -1 || shown.search(removed) !== -1 ? maskedValue(el) : shown;
}

function actionOf(old: DicomElement | undefined, now: DicomElement | undefined): HeaderAction {
  if (old === undefined) return 'added';
  if (now === undefined) return 'removed';
  if (sameElement(old, now)) return 'kept';
  const emptied = !now.items?.length && (now.value?.length ?? 0) === 0 && !now.encapsulated;
  return emptied ? 'emptied' : 'replaced';
}

function sameElement(a: DicomElement, b: DicomElement): boolean {
  if (a.vr !== b.vr) return false;
  if (a.items || b.items) {
    if (!a.items || !b.items || a.items.length !== b.items.length) return false;
    return a.items.every((item, i) => sameDataset(item, b.items?.[i] as DicomDataset));
  }
  return sameBytes(a.encapsulated ?? a.value, b.encapsulated ?? b.value);
}

function sameDataset(a: DicomDataset, b: DicomDataset): boolean {
  if (a.size !== b.size) return false;
  for (const [tag, el] of a) {
    const other = b.get(tag);
    if (other === undefined || !sameElement(el, other)) return false;
  }
  return true;
}

function sameBytes(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  const x = a ?? new Uint8Array(0);
  const y = b ?? new Uint8Array(0);
  return x.length === y.length && Buffer.from(x.buffer, x.byteOffset, x.length).equals(y);
}

const isText = (el: DicomElement): boolean => TEXT_VRS.has(el.vr) || el.vr === 'UI';

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
