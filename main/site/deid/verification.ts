// Verification before release: the bytes about to be written are parsed again, and every value at
// every depth, then the raw non-pixel bytes, are searched for each value the engine removed or
// replaced in that input. A hit holds the file. The reason names the attribute and the kind of
// value, never the value.
import { inflateRawSync } from 'node:zlib';
import type { DicomDataset, DicomElement, DicomFile, Tag, Vr } from '../dicom/index.ts';
import { DicomParseError, formatTag, keywordOf, parseDicom, Tags, walkDataset } from '../dicom/index.ts';
import type { ValueMatcher } from './free-text.ts';
import { MIN_RAW_LENGTH } from './free-text.ts';
import { findNeedles, needlesAreLatin1 } from './needle-scan.ts';

/** Bulk data is not searched (pixels are the burned-in policy's concern, and never changed here). */
const BULK_TAGS: ReadonlySet<Tag> = new Set<Tag>([
  Tags.PixelData,
  Tags.FloatPixelData,
  Tags.DoubleFloatPixelData,
  0x54001010, // Waveform Data
  0x56000020, // Spectroscopy Data
]);

/** Numbers hold no names, and a short removed number (a Study ID) would match any count or size. */
const NUMERIC_VRS: ReadonlySet<Vr> = new Set<Vr>([
  'AT',
  'DS',
  'FD',
  'FL',
  'IS',
  'OD',
  'OF',
  'OL',
  'OV',
  'SL',
  'SS',
  'SV',
  'UL',
  'US',
  'UV',
]);

/**
 * The structure of an SR tree and of graphics, kept inside D sequences: a value from these closed
 * lists is the standard's word, not the patient's, even when a name has the same letters (pydicom's
 * reportsi.dcm names its observer "Enter text", and every TEXT item would hold the file). A value
 * outside the list is searched like any other.
 */
const CLOSED_ENUMERATIONS: ReadonlyMap<Tag, ReadonlySet<string>> = new Map([
  [
    0x0040a010,
    new Set([
      'CONTAINS',
      'HAS PROPERTIES',
      'HAS OBS CONTEXT',
      'HAS ACQ CONTEXT',
      'INFERRED FROM',
      'SELECTED FROM',
      'HAS CONCEPT MOD',
    ]),
  ], // Relationship Type
  [
    0x0040a040,
    new Set([
      'CONTAINER',
      'TEXT',
      'CODE',
      'NUM',
      'PNAME',
      'DATE',
      'TIME',
      'DATETIME',
      'UIDREF',
      'COMPOSITE',
      'IMAGE',
      'WAVEFORM',
      'SCOORD',
      'SCOORD3D',
      'TCOORD',
      'TABLE',
    ]),
  ], // Value Type
  [0x0040a050, new Set(['SEPARATE', 'CONTINUOUS'])], // Continuity Of Content
  [0x00700023, new Set(['POINT', 'POLYLINE', 'INTERPOLATED', 'CIRCLE', 'ELLIPSE'])], // Graphic Type
]);

const isEnumeratedWord = (el: DicomElement): boolean =>
  el.value !== undefined &&
  el.vr === 'CS' &&
  CLOSED_ENUMERATIONS.get(el.tag)?.has(latin1(el.value).trim()) === true;

/** Other binary values (LUTs, private blobs) are searched like raw bytes: long needles only. */
const BINARY_VRS: ReadonlySet<Vr> = new Set<Vr>(['OB', 'OW']);

const describe = (path: readonly Tag[], tag: Tag): string => {
  const name = (t: Tag): string => `${formatTag(t)}${keywordOf(t) ? ` ${keywordOf(t)}` : ''}`;
  const where = name(tag);
  return path.length === 0 ? where : `${where} inside ${path.map(name).join(' > ')}`;
};

function firstHit(text: string, matcher: ValueMatcher, regex = matcher.regex): string | undefined {
  if (!regex) return undefined;
  regex.lastIndex = 0;
  const m = regex.exec(text);
  regex.lastIndex = 0;
  return m ? (matcher.kindOf(m[0]) ?? 'removed value') : undefined;
}

const latin1 = (b: Uint8Array): string =>
  Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1');

/**
 * The bytes to re-parse: the written chunks without the pixel data element, so verification never
 * copies pixel data. The writer hands a large value on as its own chunk (the same memory as the
 * element's value), directly after its header; if that layout is not found, all chunks are used.
 */
export function headerBytes(chunks: readonly Buffer[], file: DicomFile): Buffer {
  const pixel = file.dataset.get(Tags.PixelData);
  const ts = file.transferSyntax;
  if (pixel?.deferred) {
    // The value is still in the source: the chunks end with the element's header, dropped here.
    const all = Buffer.concat(chunks as Buffer[]);
    const start = all.length - (ts.explicitVr ? 12 : 8);
    return start >= 0 && tagAt(all, start, ts.littleEndian) === Tags.PixelData ? all.subarray(0, start) : all;
  }
  const body = pixel?.value ?? pixel?.encapsulated;
  const at = body
    ? chunks.findIndex(
        (c) => c.buffer === body.buffer && c.byteOffset === body.byteOffset && c.length === body.length,
      )
    : -1;
  if (at < 1 || ts.deflated) return Buffer.concat(chunks as Buffer[]);
  // One copy: the chunks before the pixel data and after it, with the pixel data element's header
  // (the last bytes before it) dropped once it is checked to be that header.
  let total = 0;
  for (let i = 0; i < chunks.length; i++) if (i !== at) total += (chunks[i] as Buffer).length;
  const out = Buffer.allocUnsafe(total);
  let length = 0;
  for (let i = 0; i < at; i++) length += (chunks[i] as Buffer).copy(out, length);
  const headerLength = ts.explicitVr ? 12 : 8;
  const start = length - headerLength;
  if (start < 0) return Buffer.concat(chunks as Buffer[]);
  if (tagAt(out, start, ts.littleEndian) !== Tags.PixelData) return Buffer.concat(chunks as Buffer[]);
  length = start;
  for (let i = at + 1; i < chunks.length; i++) length += (chunks[i] as Buffer).copy(out, length);
  return out.subarray(0, length);
}

function tagAt(bytes: Buffer, at: number, le: boolean): Tag {
  const group = le ? bytes.readUInt16LE(at) : bytes.readUInt16BE(at);
  const element = le ? bytes.readUInt16LE(at + 2) : bytes.readUInt16BE(at + 2);
  return ((group << 16) | element) >>> 0;
}

function scanDataset(ds: DicomDataset, matcher: ValueMatcher, topLevel: boolean): string | null {
  let reason: string | null = null;
  walkDataset(ds, (el: DicomElement, path) => {
    if (reason !== null || !el.value || el.value.length === 0) return;
    if ((topLevel && path.length === 0 && BULK_TAGS.has(el.tag)) || NUMERIC_VRS.has(el.vr)) return;
    if (isEnumeratedWord(el)) return;
    // UN is kept to the full search: in an output it is mostly text of attributes the dictionary lacks.
    const kind = firstHit(
      latin1(el.value),
      matcher,
      BINARY_VRS.has(el.vr) ? matcher.rawRegex : matcher.regex,
    );
    if (kind) reason = `${kind} found in ${describe(path, el.tag)}`;
  });
  return reason;
}

/**
 * Null when the output is clean; otherwise why it must be held. Values are decoded as latin1 (byte
 * for byte), the same way the removed values were read, so each is found whatever its character set.
 */
export function verifyOutput(
  chunks: readonly Buffer[],
  file: DicomFile,
  matcher: ValueMatcher,
): string | null {
  const bytes = headerBytes(chunks, file);
  let reparsed: DicomFile;
  try {
    reparsed = parseDicom(bytes);
  } catch (error) {
    const code = error instanceof DicomParseError ? error.code : 'error';
    return `not released: the de-identified output could not be read back (${code})`;
  }
  if (!file.transferSyntax.deflated && needlesAreLatin1(matcher.needles)) {
    const leak = scanHeaderBytes(bytes, reparsed, matcher);
    return leak ? `not released: ${leak}` : null;
  }
  const inMeta = scanDataset(reparsed.meta, matcher, false);
  if (inMeta) return `not released: ${inMeta} (file meta information)`;
  const inData = scanDataset(reparsed.dataset, matcher, true);
  if (inData) return `not released: ${inData}`;
  // The raw bytes catch what is not an attribute value: the preamble, or a writer fault.
  const raw = file.transferSyntax.deflated ? inflatedForScan(chunks) : bytes;
  const inRaw = firstHit(latin1(raw), matcher, matcher.rawRegex);
  return inRaw ? `not released: ${inRaw} found in the output bytes outside any attribute value` : null;
}

function inflatedForScan(chunks: readonly Buffer[]): Buffer {
  const last = chunks[chunks.length - 1];
  if (!last) return Buffer.alloc(0);
  try {
    return Buffer.concat([...chunks.slice(0, -1), inflateRawSync(last)]);
  } catch {
    return Buffer.concat(chunks as Buffer[]);
  }
}

interface ValueRange {
  start: number;
  end: number;
  el: DicomElement;
  path: readonly Tag[];
  inMeta: boolean;
}

/**
 * The same rules as the attribute-by-attribute scan, in one pass over the header bytes: a needle found
 * inside a text value holds the file; inside numbers it is a coincidence; inside binary values and
 * outside any value (tags, lengths, preamble) only needles of MIN_RAW_LENGTH characters or more count.
 * The re-parsed elements are views into `bytes`, so their offsets locate each hit.
 */
function scanHeaderBytes(bytes: Buffer, reparsed: DicomFile, matcher: ValueMatcher): string | null {
  const hits = findNeedles(bytes, matcher.needles);
  if (hits.length === 0) return null;
  const ranges: ValueRange[] = [];
  const collect = (ds: DicomDataset, inMeta: boolean) =>
    walkDataset(ds, (el, path) => {
      if (!el.value || el.value.length === 0 || el.value.buffer !== bytes.buffer) return;
      const start = el.value.byteOffset - bytes.byteOffset;
      ranges.push({ start, end: start + el.value.length, el, path, inMeta });
    });
  collect(reparsed.meta, true);
  collect(reparsed.dataset, false);
  for (const hit of hits) {
    const range = ranges.find((r) => r.start <= hit.at && hit.at + hit.length <= r.end);
    if (!range) {
      if (hit.length >= MIN_RAW_LENGTH && !hit.wordBefore && !hit.wordAfter) {
        return `${hit.kind} found in the output bytes outside any attribute value`;
      }
      continue;
    }
    // Inside a value, its edges are word boundaries whatever bytes lie beyond them.
    const partOfWord =
      (hit.wordBefore && hit.at > range.start) || (hit.wordAfter && hit.at + hit.length < range.end);
    if (partOfWord) continue;
    const { el, path, inMeta } = range;
    if (NUMERIC_VRS.has(el.vr) || (!inMeta && path.length === 0 && BULK_TAGS.has(el.tag))) continue;
    if (isEnumeratedWord(el)) continue;
    if (BINARY_VRS.has(el.vr) && hit.length < MIN_RAW_LENGTH) continue;
    return `${hit.kind} found in ${describe(path, el.tag)}${inMeta ? ' (file meta information)' : ''}`;
  }
  return null;
}
