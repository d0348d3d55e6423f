// An independent reader for the test suite: dicom-parser (cornerstone's Part 10 parser, written by
// other people to other assumptions) reads what our writer and de-identifier produce, and its reading
// is compared element by element with our own parser's. The product never imports this file: its codec
// is main/site/dicom (see the reasons in parse-dicom.ts); dicom-parser only checks it.
import dicomParser from 'dicom-parser';
import { inflateRawSync } from 'node:zlib';
import type { DicomDataset } from '../dicom/index.ts';

/** One element as a reader saw it, in a shape both readers can be brought to. */
export interface ReadElement {
  tag: number;
  /** The VR where the file states it (explicit VR); dicom-parser leaves it out for implicit VR. */
  vr?: string;
  /** Value bytes in the file's byte order, for every element that is neither a sequence nor encapsulated. */
  value?: Uint8Array;
  /** Sequence items, each a list of elements sorted by tag. */
  items?: ReadElement[][];
  /** Encapsulated pixel data: the item bytes from the first (FFFE,E000) through the delimiter. */
  encapsulated?: Uint8Array;
}

/**
 * Parses a whole Part 10 file with dicom-parser: meta group and data set together, sorted by tag.
 * Throws (dicom-parser throws strings and plain objects; they are wrapped in an Error here).
 */
export function readWithDicomParser(bytes: Uint8Array): ReadElement[] {
  let meta: dicomParser.DataSet;
  let dataSet: dicomParser.DataSet;
  try {
    meta = dicomParser.readPart10Header(bytes);
    dataSet = dicomParser.parseDicom(bytes, { inflater } as dicomParser.ParseDicomOptions);
  } catch (e) {
    const inner = (e as { exception?: unknown }).exception ?? e;
    throw new Error(`dicom-parser: ${String(inner)}`, { cause: e });
  }
  // parseDicom merges the meta group into its data set, with offsets into the original bytes; for a
  // deflated file its byteArray is the inflated data set, so the meta group is read from its own header.
  const dataset = elementsOf(dataSet, dataSet.byteArray).filter((e) => e.tag >>> 16 !== 0x0002);
  return [...elementsOf(meta, bytes), ...dataset];
}

// dicom-parser (1.8.21) hands over the whole file and where the deflated data set starts, and reads
// what the callback returns from offset 0: so the callback returns the inflated data set alone.
// (Its own Node fallback returns the header too and reads the preamble as elements.)
function inflater(whole: Uint8Array, position: number): Uint8Array {
  return inflateRawSync(whole.subarray(position));
}

function elementsOf(dataSet: dicomParser.DataSet, source: Uint8Array): ReadElement[] {
  const out: ReadElement[] = [];
  for (const element of Object.values(dataSet.elements)) {
    const read: ReadElement = { tag: parseInt(element.tag.slice(1), 16) >>> 0 };
    if (element.vr !== undefined) read.vr = element.vr;
    const items = element.items ?? privateImplicitItems(element, source);
    if (items) {
      read.items = items.map((item) => (item.dataSet ? elementsOf(item.dataSet, source) : []));
    } else if (element.encapsulatedPixelData) {
      read.encapsulated = source.subarray(element.dataOffset, element.dataOffset + element.length);
    } else {
      read.value = source.subarray(element.dataOffset, element.dataOffset + element.length);
    }
    out.push(read);
  }
  return out.sort((a, b) => a.tag - b.tag);
}

const ITEM_TAG = [0xfe, 0xff, 0x00, 0xe0];
const isPrivate = (tag: string) => (parseInt(tag.slice(1, 5), 16) & 1) === 1;

/**
 * dicom-parser leaves a private sequence in implicit VR as value bytes (it has no dictionary, and a
 * private value might start with an item tag by chance). Where the value does start with an item tag,
 * its items are read with dicom-parser's own implicit-VR item reader, so they are compared too.
 */
function privateImplicitItems(
  element: dicomParser.Element,
  source: Uint8Array,
): dicomParser.Element[] | undefined {
  if (element.vr !== undefined || !isPrivate(element.tag) || element.encapsulatedPixelData) return undefined;
  const starts = ITEM_TAG.every((byte, i) => source[element.dataOffset + i] === byte);
  if (!starts) return undefined;
  const sequence: dicomParser.Element = {
    tag: element.tag,
    length: element.hadUndefinedLength ? 0xffffffff : element.length,
    dataOffset: element.dataOffset,
  };
  const stream = new dicomParser.ByteStream(
    dicomParser.littleEndianByteArrayParser,
    source,
    element.dataOffset,
  );
  dicomParser.readSequenceItemsImplicit(stream, sequence);
  return sequence.items;
}

/** Our parser's model in the same shape: the meta group and the data set as one list, sorted by tag. */
export function readOurModel(...datasets: DicomDataset[]): ReadElement[] {
  const out: ReadElement[] = [];
  for (const dataset of datasets) {
    for (const element of dataset.values()) {
      const read: ReadElement = { tag: element.tag, vr: element.vr };
      if (element.items) read.items = element.items.map((item) => readOurModel(item));
      else if (element.encapsulated) read.encapsulated = element.encapsulated;
      else read.value = element.value ?? new Uint8Array(0);
      out.push(read);
    }
  }
  return out.sort((a, b) => a.tag - b.tag);
}

/** Where the two readings differ: a path of tags (and item numbers) and what differs there. */
export interface Disagreement {
  path: string;
  what: string;
}

/** A stated, justified difference between the readers that is not a defect of the file. */
export interface KnownDifference {
  name: string;
  why: string;
  /** Whether it explains this pair (either side may be absent). */
  explains(ours: ReadElement | undefined, theirs: ReadElement | undefined): boolean;
}

const hex = (tag: number) => tag.toString(16).toUpperCase().padStart(8, '0');
const sameBytes = (a: Uint8Array, b: Uint8Array) => a.length === b.length && Buffer.from(a).equals(b);
const describe = (e: ReadElement) =>
  e.items ? `${e.items.length} items` : `${(e.value ?? e.encapsulated)?.length ?? 0} bytes`;

/** Every place where the readings differ, less those a known difference explains. */
export function compareReadings(
  ours: readonly ReadElement[],
  theirs: readonly ReadElement[],
  known: readonly KnownDifference[],
  path = '',
): Disagreement[] {
  const found: Disagreement[] = [];
  const theirsByTag = new Map(theirs.map((e) => [e.tag, e]));
  const oursByTag = new Map(ours.map((e) => [e.tag, e]));
  const tags = [...new Set([...oursByTag.keys(), ...theirsByTag.keys()])].sort((a, b) => a - b);
  for (const tag of tags) {
    const a = oursByTag.get(tag);
    const b = theirsByTag.get(tag);
    const at = `${path}${hex(tag)}`;
    if (known.some((k) => k.explains(a, b))) continue;
    if (!a || !b) {
      found.push({ path: at, what: a ? 'only our parser read it' : 'only dicom-parser read it' });
      continue;
    }
    if (b.vr !== undefined && b.vr !== a.vr) found.push({ path: at, what: `VR ${a.vr} vs ${b.vr}` });
    if (a.items || b.items) {
      if (!a.items || !b.items || a.items.length !== b.items.length) {
        found.push({ path: at, what: `${describe(a)} vs ${describe(b)}` });
        continue;
      }
      a.items.forEach((item, i) =>
        found.push(...compareReadings(item, b.items?.[i] ?? [], known, `${at}[${i}].`)),
      );
    } else if (a.encapsulated || b.encapsulated) {
      if (!a.encapsulated || !b.encapsulated || !sameBytes(a.encapsulated, b.encapsulated)) {
        found.push({ path: at, what: `encapsulated ${describe(a)} vs ${describe(b)}` });
      }
    } else if (!sameBytes(a.value ?? new Uint8Array(0), b.value ?? new Uint8Array(0))) {
      found.push({ path: at, what: `value ${describe(a)} vs ${describe(b)}` });
    }
  }
  return found;
}
