// Verification before release: the bytes about to be written are parsed again, and every value at
// every depth, then the raw non-pixel bytes, are searched for each value the engine removed or
// replaced in that input. A hit holds the file. The reason names the attribute and the kind of
// value, never the value.
import { inflateRawSync } from 'node:zlib';
import type { DicomDataset, DicomElement, DicomFile, Tag, Vr } from '../dicom/model.ts';
import { DicomParseError, formatTag, keywordOf, parseDicom, Tags, walkDataset } from '../dicom/index.ts';
import type { ValueMatcher } from './free-text.ts';

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

const describe = (path: readonly Tag[], tag: Tag): string => {
  const name = (t: Tag): string => `${formatTag(t)}${keywordOf(t) ? ` ${keywordOf(t)}` : ''}`;
  const where = name(tag);
  return path.length === 0 ? where : `${where} inside ${path.map(name).join(' > ')}`;
};

function firstHit(text: string, matcher: ValueMatcher): string | undefined {
  const regex = matcher.regex;
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
  const body = pixel?.value ?? pixel?.encapsulated;
  const ts = file.transferSyntax;
  const at = body
    ? chunks.findIndex(
        (c) => c.buffer === body.buffer && c.byteOffset === body.byteOffset && c.length === body.length,
      )
    : -1;
  if (at < 1 || ts.deflated) return Buffer.concat(chunks as Buffer[]);
  const before = Buffer.concat(chunks.slice(0, at) as Buffer[]);
  const headerLength = ts.explicitVr ? 12 : 8;
  const start = before.length - headerLength;
  if (start < 0) return Buffer.concat(chunks as Buffer[]);
  const group = ts.littleEndian ? before.readUInt16LE(start) : before.readUInt16BE(start);
  const element = ts.littleEndian ? before.readUInt16LE(start + 2) : before.readUInt16BE(start + 2);
  if (((group << 16) | element) >>> 0 !== Tags.PixelData) return Buffer.concat(chunks as Buffer[]);
  return Buffer.concat([before.subarray(0, start), ...chunks.slice(at + 1)]);
}

function scanDataset(ds: DicomDataset, matcher: ValueMatcher, topLevel: boolean): string | null {
  let reason: string | null = null;
  walkDataset(ds, (el: DicomElement, path) => {
    if (reason !== null || !el.value || el.value.length === 0) return;
    if ((topLevel && path.length === 0 && BULK_TAGS.has(el.tag)) || NUMERIC_VRS.has(el.vr)) return;
    const kind = firstHit(latin1(el.value), matcher);
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
  const inMeta = scanDataset(reparsed.meta, matcher, false);
  if (inMeta) return `not released: ${inMeta} (file meta information)`;
  const inData = scanDataset(reparsed.dataset, matcher, true);
  if (inData) return `not released: ${inData}`;
  // The raw bytes catch what is not an attribute value: the preamble, or a writer fault.
  const raw = file.transferSyntax.deflated ? inflatedForScan(chunks) : bytes;
  const inRaw = firstHit(latin1(raw), matcher);
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
