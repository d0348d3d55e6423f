// The data dictionary (PS3.6) for Implicit VR parsing and for readable names. The entries come from
// dcmjs's dictionary, turned into compact text at development time (scripts/generate-dicom-dictionary.mjs)
// so that a de-identification worker thread does not evaluate all of dcmjs to read one table.
import type { Tag, Vr } from './model.ts';
import { DICTIONARY_TEXT } from './dictionary-data.ts';
import { isVr } from './vr.ts';

interface Entry {
  vr: Vr;
  keyword: string;
}

/** Every entry, built only when a line of the text does not read as expected (never, as generated). */
let entries: Map<Tag, Entry> | undefined;
/** Entries looked up so far, null for tags the dictionary lacks. */
const looked = new Map<Tag, Entry | null>();
/** The generated text without its leading and trailing newline: one entry per line, sorted by tag. */
let lines: string | undefined;

/** Parses the generated text: `GGGGEEEE VR Keyword` per line. */
export function parseDictionaryText(text: string): Map<Tag, Entry> {
  const map = new Map<Tag, Entry>();
  for (const line of text.split('\n')) {
    if (line.length < 12) continue;
    const space = line.indexOf(' ', 9);
    map.set(parseInt(line.slice(0, 8), 16) >>> 0, {
      vr: resolveVr(line.slice(9, space)),
      keyword: line.slice(space + 1),
    });
  }
  return map;
}

function loadEntries(): Map<Tag, Entry> {
  return parseDictionaryText(DICTIONARY_TEXT);
}

/**
 * One entry, by binary search over the text's lines (sorted by tag): each thread that de-identifies
 * needs a few hundred of the five thousand entries, and building the whole Map cost each of them
 * some 20 ms at start, most of it in code not yet compiled.
 */
function search(t: Tag): Entry | undefined {
  const text = (lines ??= DICTIONARY_TEXT.trim());
  let lo = 0; // always the start of a line
  let hi = text.length; // the start of a line, or the end of the text
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const start = mid === 0 ? 0 : text.lastIndexOf('\n', mid - 1) + 1;
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    const space = text.indexOf(' ', start + 9);
    if (end - start < 12 || text.charCodeAt(start + 8) !== 0x20 || space === -1 || space > end) {
      // Not a line as generated: read the whole text the tolerant way.
      entries ??= loadEntries();
      return entries.get(t);
    }
    const lineTag = parseInt(text.slice(start, start + 8), 16) >>> 0;
    if (lineTag === t) {
      return { vr: resolveVr(text.slice(start + 9, space)), keyword: text.slice(space + 1, end) };
    }
    if (lineTag < t) lo = end + 1;
    else hi = start;
  }
  return undefined;
}

function entryOf(t: Tag): Entry | undefined {
  const known = looked.get(t);
  if (known !== undefined) return known ?? undefined;
  const found = search(t);
  if (looked.size >= 20_000) looked.clear();
  looked.set(t, found ?? null);
  return found;
}

/**
 * dcmjs codes multi-VR entries: 'ox' (OB or OW), 'xs' (US or SS), 'lt' (US or SS or OW, LUT data),
 * 'up' (UL, an offset), 'na' (item tags). Implicit VR only happens with native pixel data, where
 * OW is the right pick (PS3.5 A.1 c), and US is right unless Pixel Representation says signed.
 */
function resolveVr(vr: string): Vr {
  if (isVr(vr)) return vr;
  if (vr === 'ox' || vr === 'lt' || vr.includes('OW')) return 'OW';
  if (vr === 'xs' || vr.includes('US')) return 'US';
  if (vr === 'up') return 'UL';
  return 'UN';
}

/** Repeating groups and elements (PS3.5 7.6, PS3.6 notes): map a tag to the dictionary's stand-in. */
function rangeStandIn(t: Tag): Tag | undefined {
  const group = t >>> 16;
  const element = t & 0xffff;
  if ((group & 0xff00) === 0x5000 || (group & 0xff00) === 0x6000 || (group & 0xff00) === 0x7f00) {
    return (((group & 0xff00) << 16) | element) >>> 0;
  }
  if (group === 0x0028 && (element & 0xff00) === 0x0400 && (element & 0xf) <= 3) {
    return ((0x0028 << 16) | 0x0410 | (element & 0xf)) >>> 0;
  }
  if (group === 0x0028 && (element & 0xff00) === 0x0800)
    return ((0x0028 << 16) | 0x0800 | (element & 0xf)) >>> 0;
  if (group === 0x1000 && (element & 0xf) <= 5) return ((0x1000 << 16) | 0x0010 | (element & 0xf)) >>> 0;
  if (group === 0x1010) return ((0x1010 << 16) | 0x0004) >>> 0;
  return undefined;
}

function lookup(t: Tag): Entry | undefined {
  const direct = entryOf(t);
  if (direct) return direct;
  const standIn = rangeStandIn(t);
  return standIn === undefined ? undefined : entryOf(standIn);
}

const SOURCE_IMAGE_IDS: Entry = { vr: 'CS', keyword: 'SourceImageIDs' }; // (0020,31xx), retired

/**
 * The VR of a tag for Implicit VR data sets. Group lengths are UL; private creators (gggg,0010-00FF)
 * are LO (PS3.5 7.8.1); other private tags and unknown tags are UN.
 */
export function vrOf(t: Tag): Vr {
  const element = t & 0xffff;
  if (element === 0) return 'UL';
  if (((t >>> 16) & 1) === 1) return element >= 0x10 && element <= 0xff ? 'LO' : 'UN';
  if (t >>> 8 === 0x002031) return SOURCE_IMAGE_IDS.vr;
  return lookup(t)?.vr ?? 'UN';
}

/** The standard keyword of a tag (retired ones too), or undefined for private and unknown tags. */
export function keywordOf(t: Tag): string | undefined {
  if (((t >>> 16) & 1) === 1) return undefined;
  if (t >>> 8 === 0x002031) return SOURCE_IMAGE_IDS.keyword;
  return lookup(t)?.keyword ?? ((t & 0xffff) === 0 ? 'GenericGroupLength' : undefined);
}
