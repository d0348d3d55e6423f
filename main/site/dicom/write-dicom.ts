// DICOM Part 10 writer (PS3.10 7.1, PS3.5 7).
//
// Choices, all valid PS3.5 encodings:
// - Sequences and items are written with undefined length and delimiters (PS3.5 7.5.2), which needs
//   no second pass to compute lengths; an empty sequence is written with length 0.
// - In explicit VR, a value longer than 0xFFFF bytes whose VR has a 2-byte length field is written
//   with VR UN and a 4-byte length (PS3.5 6.2.2 allows this) rather than refused.
// - Group length elements (gggg,0000) of the data set are dropped (retired, PS3.5 7.2; they would
//   be wrong after any edit), and group 0002 is only ever written in the meta group.
// - Values are written in the byte order they carry; they must already be in `file.transferSyntax`'s.
import { deflateRawSync } from 'node:zlib';
import { ChunkWriter } from './chunk-writer.ts';
import { DicomWriteError } from './errors.ts';
import { IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME } from './file-meta.ts';
import { formatTag } from './model.ts';
import type { DicomDataset, DicomElement, DicomFile, Tag, Vr } from './model.ts';
import { Tags } from './tags.ts';
import { encodeText } from './values.ts';
import { LONG_VRS, padByteOf } from './vr.ts';

const UNDEFINED_LENGTH = 0xffffffff;
const EMPTY = new Uint8Array(0);

interface Encoding {
  explicitVr: boolean;
  le: boolean;
}

export interface WriteOptions {
  /**
   * Pad the file to this many bytes before the deferred Pixel Data value (the source's header
   * length), so the new header can be written over a copy of the source. The padding is the meta
   * group's own Private Information (0002,0102), zeros, under RadFed's creator UID (0002,0100); when
   * the header is longer, or too little shorter to hold those two elements, it is left unpadded.
   */
  headerLength?: number;
}

/** (0002,0100) with RadFed's UID and the header of (0002,0102): what padding costs at least. */
const PADDING_OVERHEAD = 8 + IMPLEMENTATION_CLASS_UID.length + (IMPLEMENTATION_CLASS_UID.length & 1) + 12;
const PRIVATE_INFORMATION_CREATOR = 0x00020100;
const PRIVATE_INFORMATION = 0x00020102;

/**
 * Encodes a file as a list of chunks: preamble, "DICM", meta group, data set. A deferred Pixel Data
 * value (DicomElement.deferred) is not in them: its header ends the last chunk, its value follows.
 */
export function writeDicom(file: DicomFile, options: WriteOptions = {}): Buffer[] {
  const ts = file.transferSyntax;
  const body = new ChunkWriter();
  writeDataset(body, file.dataset, { explicitVr: ts.explicitVr, le: ts.littleEndian }, true);
  let dataChunks = body.finish();
  if (ts.deflated) dataChunks = [deflateRawSync(Buffer.concat(dataChunks))];
  let meta = writeMeta(file, 0);
  if (options.headerLength !== undefined) {
    const gap = options.headerLength - chunksLength(meta) - body.length;
    const canPad = gap >= PADDING_OVERHEAD && (gap & 1) === 0 && !file.meta.has(PRIVATE_INFORMATION);
    if (canPad) meta = writeMeta(file, gap - PADDING_OVERHEAD);
  }
  return [...meta, ...dataChunks];
}

const chunksLength = (chunks: readonly Buffer[]): number =>
  chunks.reduce((sum, chunk) => sum + chunk.length, 0);

/** The meta group; with `padding` (bytes, even), RadFed's Private Information of that many zeros. */
function writeMeta(file: DicomFile, padding: number): Buffer[] {
  const meta: DicomDataset = new Map();
  for (const [t, el] of file.meta)
    if (t >>> 16 === 0x0002 && t !== Tags.FileMetaInformationGroupLength) meta.set(t, el);
  const fill = (t: Tag, el: () => DicomElement | undefined): void => {
    if (meta.has(t)) return;
    const e = el();
    if (e) meta.set(t, e);
  };
  const ui = (t: Tag, from: Tag) => (): DicomElement | undefined => {
    const v = file.dataset.get(from)?.value;
    return v ? { tag: t, vr: 'UI', value: v } : undefined;
  };
  fill(Tags.FileMetaInformationVersion, () => ({
    tag: Tags.FileMetaInformationVersion,
    vr: 'OB',
    value: Uint8Array.of(0, 1),
  }));
  fill(Tags.MediaStorageSOPClassUID, ui(Tags.MediaStorageSOPClassUID, Tags.SOPClassUID));
  fill(Tags.MediaStorageSOPInstanceUID, ui(Tags.MediaStorageSOPInstanceUID, Tags.SOPInstanceUID));
  if (!meta.has(Tags.ImplementationClassUID)) {
    const version = Tags.ImplementationVersionName;
    meta.set(Tags.ImplementationClassUID, {
      tag: Tags.ImplementationClassUID,
      vr: 'UI',
      value: encodeText(IMPLEMENTATION_CLASS_UID, 'UI'),
    });
    meta.set(version, { tag: version, vr: 'SH', value: encodeText(IMPLEMENTATION_VERSION_NAME, 'SH') });
  }
  // The syntax the data set is really written in, whatever the source said (PS3.10 7.1).
  const tsUid = Tags.TransferSyntaxUID;
  meta.set(tsUid, { tag: tsUid, vr: 'UI', value: encodeText(file.transferSyntax.uid, 'UI') });
  if (padding > 0) {
    const creator = PRIVATE_INFORMATION_CREATOR;
    meta.set(creator, { tag: creator, vr: 'UI', value: encodeText(IMPLEMENTATION_CLASS_UID, 'UI') });
    const info = PRIVATE_INFORMATION;
    meta.set(info, { tag: info, vr: 'OB', value: new Uint8Array(padding) });
  }

  const group = new ChunkWriter();
  writeDataset(group, meta, { explicitVr: true, le: true }, false);
  const groupChunks = group.finish();

  const head = Buffer.alloc(128 + 4 + 12);
  head.write('DICM', 128, 'latin1');
  head.writeUInt16LE(0x0002, 132);
  head.writeUInt16LE(0x0000, 134);
  head.write('UL', 136, 'latin1');
  head.writeUInt16LE(4, 138);
  head.writeUInt32LE(group.length, 140);
  return [head, ...groupChunks];
}

type Frame =
  | { kind: 'dataset'; ds: DicomDataset; tags: Tag[]; next: number; isItem: boolean }
  | { kind: 'sequence'; items: DicomDataset[]; next: number };

const sortedTags = (ds: DicomDataset): Tag[] => Array.from(ds.keys()).sort((a, b) => a - b);

/** Writes a data set, elements sorted by tag at every level, iteratively (any depth). */
function writeDataset(w: ChunkWriter, root: DicomDataset, enc: Encoding, isFileDataset: boolean): void {
  const stack: Frame[] = [{ kind: 'dataset', ds: root, tags: sortedTags(root), next: 0, isItem: false }];
  let deferredWritten = false;
  while (stack.length > 0) {
    const frame = stack[stack.length - 1] as Frame;
    if (frame.kind === 'sequence') {
      const item = frame.items[frame.next++];
      if (!item) {
        stack.pop();
        writeTag(w, Tags.SequenceDelimitation, enc.le);
        w.u32(0, enc.le);
        continue;
      }
      writeTag(w, Tags.ItemTag, enc.le);
      w.u32(UNDEFINED_LENGTH, enc.le);
      stack.push({ kind: 'dataset', ds: item, tags: sortedTags(item), next: 0, isItem: true });
      continue;
    }

    const t = frame.tags[frame.next++];
    if (t === undefined) {
      stack.pop();
      if (frame.isItem) {
        writeTag(w, Tags.ItemDelimitation, enc.le);
        w.u32(0, enc.le);
      }
      continue;
    }
    const el = frame.ds.get(t);
    if (!el || (t & 0xffff) === 0 || t >>> 16 === 0xfffe) continue;
    if (isFileDataset && stack.length === 1 && t >>> 16 === 0x0002) continue;
    if (deferredWritten) {
      throw new DicomWriteError(
        'invalid-value',
        `Element ${formatTag(t)} comes after pixel data that is still in the source file: read the whole file.`,
      );
    }

    if (el.items || el.vr === 'SQ') {
      const items = el.items ?? [];
      writeHeader(w, t, 'SQ', items.length === 0 ? 0 : UNDEFINED_LENGTH, enc);
      if (items.length > 0) stack.push({ kind: 'sequence', items, next: 0 });
      continue;
    }
    if (el.encapsulated) {
      // Fragments and their closing delimiter are carried verbatim (PS3.5 A.4).
      writeHeader(w, t, 'OB', UNDEFINED_LENGTH, enc);
      w.bytes(el.encapsulated);
      continue;
    }
    if (el.deferred) {
      if (!isFileDataset || stack.length !== 1 || (el.deferred.length & 1) === 1) {
        throw new DicomWriteError(
          'invalid-value',
          `Element ${formatTag(t)} is still in the source file, which only top-level pixel data of even length may be: read the whole file.`,
        );
      }
      writeHeader(w, t, writtenVr(el.vr, el.deferred.length, enc), el.deferred.length, enc);
      deferredWritten = true;
      continue;
    }
    const value = el.value ?? EMPTY;
    const odd = value.length & 1;
    const length = value.length + odd;
    if (length > 0xfffffffe) {
      throw new DicomWriteError(
        'invalid-value',
        `Element ${formatTag(t)} is too long for DICOM (over 4 GiB): split the object.`,
      );
    }
    writeHeader(w, t, writtenVr(el.vr, length, enc), length, enc);
    w.bytes(value);
    if (odd) w.byte(padByteOf(el.vr));
  }
}

/** A long value whose VR has a 2-byte length field goes out as UN (see the header). */
const writtenVr = (vr: Vr, length: number, enc: Encoding): Vr =>
  enc.explicitVr && length > 0xffff && !LONG_VRS.has(vr) ? 'UN' : vr;

function writeTag(w: ChunkWriter, t: Tag, le: boolean): void {
  w.u16(t >>> 16, le);
  w.u16(t & 0xffff, le);
}

function writeHeader(w: ChunkWriter, t: Tag, vr: Vr, length: number, enc: Encoding): void {
  writeTag(w, t, enc.le);
  if (!enc.explicitVr) {
    w.u32(length, enc.le);
  } else if (LONG_VRS.has(vr)) {
    w.ascii2(vr);
    w.u16(0, enc.le);
    w.u32(length, enc.le);
  } else {
    w.ascii2(vr);
    w.u16(length, enc.le);
  }
}
