// Reads the elements of a data set into the shared model, iteratively: nesting is kept on an explicit
// stack, so a file nested 10,000 deep fails with 'too-deep' instead of blowing the JS stack, and every
// declared length is checked against the bytes that are really there before it is used.
import { vrOf } from './dictionary.ts';
import { DicomParseError } from './errors.ts';
import { formatTag } from './model.ts';
import type { DicomDataset, DicomElement, Tag, Vr } from './model.ts';
import { isLongAt, vrAt, vrIndexOf } from './vr.ts';

export interface Encoding {
  explicitVr: boolean;
  littleEndian: boolean;
}

/** PS3.5 6.2.2: the content of a UN element of undefined length is Implicit VR Little Endian. */
const IMPLICIT_LITTLE: Encoding = { explicitVr: false, littleEndian: true };

const UNDEFINED_LENGTH = 0xffffffff;
const ITEM = 0xfffee000;
const ITEM_DELIMITATION = 0xfffee00d;
const SEQUENCE_DELIMITATION = 0xfffee0dd;
const PIXEL_DATA = 0x7fe00010;
/** A frame whose end is not declared, i.e. that ends at a delimitation item. */
const OPEN = -1;

interface DatasetFrame {
  kind: 'dataset';
  ds: DicomDataset;
  end: number;
  /** The nearest declared end: this frame's own, or its closest ancestor's, or the buffer's. */
  bound: number;
  enc: Encoding;
  depth: number;
}

interface SequenceFrame {
  kind: 'sequence';
  items: DicomDataset[];
  tag: Tag;
  end: number;
  bound: number;
  enc: Encoding;
  depth: number;
}

export interface ReadResult {
  dataset: DicomDataset;
  /** Where reading stopped: the end of the data, or the first element outside `onlyGroup`. */
  end: number;
}

export class DatasetReader {
  private readonly view: DataView;
  private readonly bytes: Uint8Array;
  private readonly buffer: ArrayBufferLike;
  private readonly offset: number;

  constructor(
    bytes: Uint8Array,
    private readonly maxDepth: number,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    // Values are plain Uint8Array views of the same memory: a Buffer's subarray builds a Buffer
    // through Node's JavaScript constructor, a cost paid for each of a file's hundreds of elements.
    this.bytes = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.buffer = bytes.buffer;
    this.offset = bytes.byteOffset;
  }

  /**
   * Reads top-level elements from `start` to the end of the bytes. With `onlyGroup` (the file meta
   * group, 0002), stops before the first top-level element of another group. With `fileSize`, the
   * bytes are the start of a file that long: a top-level Pixel Data value that runs from beyond them
   * to exactly the file's end is left unread (see DicomElement.deferred).
   */
  read(start: number, enc: Encoding, onlyGroup?: number, fileSize?: number): ReadResult {
    const { bytes, view } = this;
    const size = bytes.length;
    const root: DicomDataset = new Map();
    const stack: (DatasetFrame | SequenceFrame)[] = [
      { kind: 'dataset', ds: root, end: size, bound: size, enc, depth: 0 },
    ];
    let pos = start;

    while (stack.length > 0) {
      const frame = stack[stack.length - 1] as DatasetFrame | SequenceFrame;
      const le = frame.enc.littleEndian;
      const limit = frame.bound;

      if (frame.kind === 'sequence') {
        if (frame.end !== OPEN && pos >= frame.end) {
          stack.pop();
          continue;
        }
        this.need(pos, 8, limit, frame.tag, 'an item header');
        const itemTag = this.tagAt(pos, le);
        const length = view.getUint32(pos + 4, le);
        pos += 8;
        if (itemTag === SEQUENCE_DELIMITATION) {
          if (frame.end === OPEN) stack.pop();
          continue;
        }
        if (itemTag === ITEM_DELIMITATION) continue; // stray delimiter: harmless, skipped as dcmtk does
        if (itemTag !== ITEM) {
          throw new DicomParseError(
            'malformed',
            `Sequence ${formatTag(frame.tag)} holds ${formatTag(itemTag)} at byte ${pos - 8} where an item must be: the file is corrupt; re-export it from the source.`,
          );
        }
        const ds: DicomDataset = new Map();
        frame.items.push(ds);
        let end = OPEN;
        if (length !== UNDEFINED_LENGTH) {
          this.need(pos, length, limit, frame.tag, 'an item');
          end = pos + length;
        }
        const bound = end === OPEN ? limit : end;
        stack.push({ kind: 'dataset', ds, end, bound, enc: frame.enc, depth: frame.depth });
        continue;
      }

      // A data set: the top level or one item.
      if (frame.end !== OPEN && pos >= frame.end) {
        stack.pop();
        continue;
      }
      if (stack.length === 1 && onlyGroup !== undefined) {
        // Reading the meta group: stop at the first element of another group (or a short tail).
        if (size - pos < 8 || view.getUint16(pos, le) !== onlyGroup) break;
      }
      if (stack.length === 1 && size - pos < 8 && this.allZero(pos, size)) break; // zero padding at the end
      this.need(pos, 8, limit, undefined, 'an element header');
      const t = this.tagAt(pos, le);
      if (t >>> 16 === 0xfffe) {
        if (t === ITEM_DELIMITATION && frame.end === OPEN) {
          stack.pop();
          pos += 8;
        } else if (t === SEQUENCE_DELIMITATION && frame.end === OPEN && stack.length > 1) {
          stack.pop(); // an item that lacks its delimiter: let the sequence see its own delimiter
        } else if (t === ITEM) {
          throw new DicomParseError(
            'malformed',
            `An item tag appears outside a sequence at byte ${pos}: the file is corrupt; re-export it from the source.`,
          );
        } else {
          pos += 8; // stray delimiter in a data set of defined length: skipped
        }
        continue;
      }

      // Element header (PS3.5 7.1): explicit VR, short or long form, or implicit VR.
      let vr: Vr;
      let length: number;
      if (frame.enc.explicitVr) {
        const index = vrIndexOf(bytes[pos + 4] as number, bytes[pos + 5] as number);
        const known = index < 0 ? undefined : vrAt(index);
        if (known !== undefined && !isLongAt(index)) {
          vr = known;
          length = view.getUint16(pos + 6, le);
          pos += 8;
        } else if (index >= 0) {
          // Long form; a VR this codec does not know is read as UN (PS3.5 6.2, new VRs are long-form).
          this.need(pos, 12, limit, t, 'an element header');
          vr = known ?? 'UN';
          length = view.getUint32(pos + 8, le);
          pos += 12;
        } else {
          // Not a VR at all: an implicit-VR element in an explicit data set (seen in the wild).
          vr = vrOf(t);
          length = view.getUint32(pos + 4, le);
          pos += 8;
        }
      } else {
        vr = vrOf(t);
        length = view.getUint32(pos + 4, le);
        pos += 8;
      }

      // UN for a tag the dictionary knows: take the known VR (PS3.5 6.2.2), so that sequences and
      // dates hidden behind UN are seen by the de-identifier like any other.
      let innerEnc = frame.enc;
      if (vr === 'UN') {
        const dictVr = vrOf(t);
        if (dictVr === 'SQ' || (length === UNDEFINED_LENGTH && t !== PIXEL_DATA)) {
          innerEnc = IMPLICIT_LITTLE;
          vr = 'SQ';
        } else if (dictVr !== 'UN') {
          vr = dictVr;
        }
      }

      if (length === UNDEFINED_LENGTH) {
        if (t === PIXEL_DATA || vr === 'OB' || vr === 'OW') {
          const end = this.skipFragments(pos, le, t, limit);
          frame.ds.set(t, { tag: t, vr: 'OB', encapsulated: bytes.subarray(pos, end) });
          pos = end;
          continue;
        }
        if (vr !== 'SQ' && frame.enc.explicitVr) {
          throw new DicomParseError(
            'malformed',
            `Element ${formatTag(t)} with VR ${vr} has an undefined length, which only sequences and pixel data may have: the file is corrupt; re-export it from the source.`,
          );
        }
        this.pushSequence(stack, frame, t, OPEN, limit, innerEnc);
        continue;
      }

      if (t === PIXEL_DATA && stack.length === 1 && this.endsFile(pos, length, fileSize)) {
        frame.ds.set(t, { tag: t, vr, deferred: { offset: pos, length } });
        pos = size;
        continue;
      }
      this.need(pos, length, limit, t, 'a value');
      if (vr === 'SQ') {
        this.pushSequence(stack, frame, t, pos + length, pos + length, innerEnc);
        continue;
      }
      // A view made directly: subarray looks up a species constructor first, for each element.
      frame.ds.set(t, { tag: t, vr, value: new Uint8Array(this.buffer, this.offset + pos, length) });
      pos += length;
    }

    if (stack.length > 1) {
      throw new DicomParseError(
        'truncated',
        'DICOM data ends inside a sequence: the file is truncated; copy it again from the source.',
      );
    }
    return { dataset: root, end: pos };
  }

  private pushSequence(
    stack: (DatasetFrame | SequenceFrame)[],
    parent: DatasetFrame,
    t: Tag,
    end: number,
    bound: number,
    enc: Encoding,
  ): void {
    const depth = parent.depth + 1;
    if (depth > this.maxDepth) {
      throw new DicomParseError(
        'too-deep',
        `Sequences are nested more than ${this.maxDepth} deep at ${formatTag(t)}: no real object needs that; the file is likely corrupt or hostile.`,
      );
    }
    const items: DicomDataset[] = [];
    const el: DicomElement = { tag: t, vr: 'SQ', items };
    parent.ds.set(t, el);
    stack.push({ kind: 'sequence', items, tag: t, end, bound, enc, depth });
  }

  /** Walks encapsulated fragments (PS3.5 A.4) to the sequence delimiter; returns the offset after it. */
  private skipFragments(start: number, le: boolean, t: Tag, limit: number): number {
    let pos = start;
    for (;;) {
      this.need(pos, 8, limit, t, 'a fragment header');
      const itemTag = this.tagAt(pos, le);
      const length = this.view.getUint32(pos + 4, le);
      pos += 8;
      if (itemTag === SEQUENCE_DELIMITATION) return pos;
      if (itemTag !== ITEM || length === UNDEFINED_LENGTH) {
        throw new DicomParseError(
          'malformed',
          `Encapsulated pixel data ${formatTag(t)} has a bad fragment at byte ${pos - 8}: the file is corrupt; re-export it from the source.`,
        );
      }
      this.need(pos, length, limit, t, 'a fragment');
      pos += length;
    }
  }

  /** A value beyond the bytes read, of even length, that ends exactly where the file does. */
  private endsFile(pos: number, length: number, fileSize: number | undefined): boolean {
    return (
      fileSize !== undefined &&
      pos + length > this.bytes.length &&
      pos + length === fileSize &&
      (length & 1) === 0
    );
  }

  /** Checks that `count` bytes at `pos` lie before `limit` (the end of the buffer or of the enclosing item). */
  private need(pos: number, count: number, limit: number, t: Tag | undefined, what: string): void {
    if (pos + count <= limit) return;
    const where = t === undefined ? `at byte ${pos}` : `in ${formatTag(t)} at byte ${pos}`;
    if (limit === this.bytes.length && count <= this.bytes.length) {
      throw new DicomParseError(
        'truncated',
        `DICOM data ends inside ${what} ${where}: the file is truncated; copy it again from the source.`,
      );
    }
    throw new DicomParseError(
      'invalid-length',
      `The length of ${what} ${where} (${count} bytes) runs past the end of its ${limit === this.bytes.length ? 'file' : 'enclosing item'}: the file is corrupt; re-export it from the source.`,
    );
  }

  private tagAt(pos: number, le: boolean): Tag {
    return ((this.view.getUint16(pos, le) << 16) | this.view.getUint16(pos + 2, le)) >>> 0;
  }

  private allZero(from: number, to: number): boolean {
    for (let i = from; i < to; i++) if (this.bytes[i] !== 0) return false;
    return true;
  }
}
