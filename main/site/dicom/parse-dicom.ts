// DICOM Part 10 parser (PS3.10 7.1, PS3.5 7).
//
// Why our own parser and not dicom-parser (the project's first choice): dicom-parser reads sequences
// by recursion with no depth limit (a hostile file nested 10,000 deep overflows the stack), throws
// strings rather than errors, leaves deflate to the caller, and gives offsets in its own DataSet
// shape that would need a second walk to build our model. The reader here is iterative, checks
// every length against the bytes present, and builds the model (zero-copy views) in one pass.
import { constants as bufferConstants } from 'node:buffer';
import { inflateRawSync, inflateSync } from 'node:zlib';
import { DatasetReader } from './dataset-reader.ts';
import type { Encoding } from './dataset-reader.ts';
import { detectEncoding } from './detect-encoding.ts';
import { DicomParseError } from './errors.ts';
import type { DicomDataset, DicomFile, TransferSyntax } from './model.ts';
import { Tags } from './tags.ts';
import {
  EXPLICIT_VR_BIG_ENDIAN,
  EXPLICIT_VR_LITTLE_ENDIAN,
  IMPLICIT_VR_LITTLE_ENDIAN,
  isParseableTransferSyntax,
  transferSyntaxOf,
} from './transfer-syntax.ts';
import { getString } from './values.ts';

export interface ParseOptions {
  /** Deepest sequence nesting accepted (default 64). */
  maxDepth?: number;
  /** Largest inflated size of a deflated data set (default 1 GiB), against deflate bombs. */
  maxInflatedBytes?: number;
  /**
   * The whole file's size, when `bytes` are only its first bytes (a header read): a top-level Pixel
   * Data value that runs to the end of the file is then left unread, as DicomElement.deferred. Any
   * other element cut off by the end of `bytes` fails as 'truncated', as does a deflated data set:
   * the caller then reads the whole file.
   */
  fileSize?: number;
}

const DEFAULT_MAX_DEPTH = 64;
const DEFAULT_MAX_INFLATED = 1024 * 1024 * 1024;
const STANDARD_UID_ROOT = '1.2.840.10008.';
/** A UID as PS3.5 9.1 writes one: digits and dots, at most 64 characters. */
const UID_SHAPE = /^\d+(\.\d+)*$/;

/** The Transfer Syntax UID as read, for a message: quoted only when it is one (a value from the file). */
const shownUid = (value: string): string =>
  value.length <= 64 && UID_SHAPE.test(value) ? value : '(a value that is not a UID)';
const EXPLICIT_LITTLE: Encoding = { explicitVr: true, littleEndian: true };

const isDicm = (b: Uint8Array, at: number): boolean =>
  b[at] === 0x44 && b[at + 1] === 0x49 && b[at + 2] === 0x43 && b[at + 3] === 0x4d;

/** Parses a DICOM file, or a bare data set with no preamble. Throws DicomParseError, nothing else. */
export function parseDicom(bytes: Uint8Array, options: ParseOptions = {}): DicomFile {
  try {
    return parse(bytes, options);
  } catch (e) {
    if (e instanceof DicomParseError) throw e;
    // A RangeError from a DataView means a bounds check was missed: still a parse failure, not a crash.
    throw new DicomParseError(
      'malformed',
      'The file could not be decoded as DICOM: re-export it from the source.',
      { cause: e },
    );
  }
}

function parse(bytes: Uint8Array, options: ParseOptions): DicomFile {
  const maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH;
  let pos = 0;
  let hadPreamble = false;
  if (bytes.length >= 132 && isDicm(bytes, 128)) {
    pos = 132;
    hadPreamble = true;
  } else if (bytes.length >= 4 && isDicm(bytes, 0)) {
    pos = 4; // "DICM" without the preamble, as some writers do
  }

  let meta: DicomDataset = new Map();
  const startsWithMeta = bytes.length - pos >= 8 && bytes[pos] === 0x02 && bytes[pos + 1] === 0x00;
  if (startsWithMeta) {
    // The meta group is Explicit VR Little Endian (PS3.10 7.1); the reader falls back per element
    // for writers that got that wrong. Its group length is not trusted: the group ends where 0002 does.
    // It only tells a file cut inside or right after the meta group apart from a complete one.
    const r = new DatasetReader(bytes, 0).read(pos, EXPLICIT_LITTLE, 0x0002);
    meta = r.dataset;
    const groupLength = meta.get(Tags.FileMetaInformationGroupLength)?.value;
    const declaredEnd = groupLength?.length === 4 ? pos + 12 + readUint32Le(groupLength) : 0;
    pos = r.end;
    if (declaredEnd > bytes.length || pos >= bytes.length) {
      throw new DicomParseError(
        'truncated',
        'The file ends within or right after its meta information, with no data set: copy it again from the source.',
      );
    }
  } else if (pos === 0 && !detectEncoding(bytes, 0, true)) {
    throw new DicomParseError(
      'not-dicom',
      'Not a DICOM file: no "DICM" marker and no recognisable data set at the start; check that the file is DICOM.',
    );
  }

  const declared = (getString(meta, Tags.TransferSyntaxUID) ?? '').trim();
  if (declared !== '' && !isParseableTransferSyntax(declared)) {
    throw new DicomParseError(
      'unsupported-transfer-syntax',
      `Transfer syntax ${shownUid(declared)} is a private one this codec cannot read: convert the file to a standard syntax (e.g. dcmconv +te).`,
    );
  }
  let ts: TransferSyntax | undefined = declared === '' ? undefined : transferSyntaxOf(declared);

  let data = bytes;
  const partial = options.fileSize !== undefined && options.fileSize > bytes.length;
  if (ts?.deflated && partial) {
    throw new DicomParseError('truncated', 'A deflated data set can only be read whole.');
  }
  if (ts?.deflated) {
    data = inflate(bytes.subarray(pos), options.maxInflatedBytes ?? DEFAULT_MAX_INFLATED);
    pos = 0;
  }

  // Trust the declared syntax, except where the data set plainly says otherwise about explicit vs
  // implicit VR (a common writer bug; values are Little Endian either way, so the model is the same).
  const detected = detectEncoding(data, pos, false);
  let enc: Encoding;
  if (!ts) {
    enc = detected ?? EXPLICIT_LITTLE;
    ts = transferSyntaxOf(
      !enc.littleEndian
        ? EXPLICIT_VR_BIG_ENDIAN
        : enc.explicitVr
          ? EXPLICIT_VR_LITTLE_ENDIAN
          : IMPLICIT_VR_LITTLE_ENDIAN,
    );
  } else if (detected && detected.littleEndian === ts.littleEndian) {
    enc = detected;
  } else if (detected && !declared.startsWith(STANDARD_UID_ROOT)) {
    throw new DicomParseError(
      'unsupported-transfer-syntax',
      `Transfer syntax ${shownUid(declared)} is unknown and its data set is not Explicit VR Little Endian: convert the file to a standard syntax.`,
    );
  } else {
    enc = { explicitVr: ts.explicitVr, littleEndian: ts.littleEndian };
  }

  const fileSize = partial ? options.fileSize : undefined;
  const { dataset } = new DatasetReader(data, maxDepth).read(pos, enc, undefined, fileSize);
  if (partial && !dataset.get(Tags.PixelData)?.deferred) {
    // The bytes ended on an element boundary: what follows them is unknown, not absent.
    throw new DicomParseError('truncated', 'Only the start of the file was read: read it whole.');
  }
  return { meta, dataset, transferSyntax: ts, hadPreamble };
}

const readUint32Le = (b: Uint8Array): number =>
  ((b[0] as number) | ((b[1] as number) << 8) | ((b[2] as number) << 16) | ((b[3] as number) << 24)) >>> 0;

/** Raw deflate (PS3.5 A.5), with a cap on the output; a zlib-wrapped stream is accepted too. */
function inflate(deflated: Uint8Array, cap: number): Uint8Array {
  const maxOutputLength = Math.min(cap, bufferConstants.MAX_LENGTH);
  const fail = (e: unknown): never => {
    const code = (e as { code?: unknown }).code;
    if (code === 'ERR_BUFFER_TOO_LARGE') {
      throw new DicomParseError(
        'invalid-length',
        `The deflated data set inflates to more than ${maxOutputLength} bytes: the file is corrupt or hostile; it was not read.`,
      );
    }
    if (code === 'Z_BUF_ERROR') {
      throw new DicomParseError(
        'truncated',
        'The deflated data set ends early: the file is truncated; copy it again from the source.',
      );
    }
    throw new DicomParseError(
      'malformed',
      'The deflated data set is corrupt: re-export the file from the source.',
    );
  };
  try {
    return inflateRawSync(deflated, { maxOutputLength });
  } catch (raw) {
    if ((raw as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE') fail(raw);
    try {
      return inflateSync(deflated, { maxOutputLength });
    } catch {
      return fail(raw);
    }
  }
}
