// The in-memory DICOM model shared by the parser, the writer, the de-identifier and the generator.
// Values are kept as raw bytes (views into the source buffer where possible), so anything the
// de-identifier does not touch, pixel data above all, is written back byte for byte (PS3.15 never
// asks to re-encode an image, and re-encoding would change it).

/** A tag as one unsigned 32-bit number: (group << 16) | element. */
export type Tag = number;

export type Vr =
  | 'AE'
  | 'AS'
  | 'AT'
  | 'CS'
  | 'DA'
  | 'DS'
  | 'DT'
  | 'FD'
  | 'FL'
  | 'IS'
  | 'LO'
  | 'LT'
  | 'OB'
  | 'OD'
  | 'OF'
  | 'OL'
  | 'OV'
  | 'OW'
  | 'PN'
  | 'SH'
  | 'SL'
  | 'SQ'
  | 'SS'
  | 'ST'
  | 'SV'
  | 'TM'
  | 'UC'
  | 'UI'
  | 'UL'
  | 'UN'
  | 'UR'
  | 'US'
  | 'UT'
  | 'UV';

export interface DicomElement {
  tag: Tag;
  vr: Vr;
  /** Raw value bytes in the data set's byte order; absent for sequences and encapsulated pixel data. */
  value?: Uint8Array;
  /** Items of a sequence (VR SQ). */
  items?: DicomDataset[];
  /**
   * Encapsulated (compressed) pixel data: the raw bytes of every item after the element header,
   * from the first (FFFE,E000) item tag up to and including the (FFFE,E0DD) sequence delimiter.
   * Carried over verbatim; the writer emits it with undefined length.
   */
  encapsulated?: Uint8Array;
  /**
   * A value left in the source file, not read: only the top-level Pixel Data of a file parsed from
   * its first bytes (ParseOptions.fileSize), which runs from `offset` to the end of that file. The
   * writer writes its header and nothing more; the caller appends the source's bytes from `offset`.
   */
  deferred?: { offset: number; length: number };
}

/** A data set (or a sequence item): elements keyed by tag. The writer sorts by tag. */
export type DicomDataset = Map<Tag, DicomElement>;

export interface TransferSyntax {
  uid: string;
  explicitVr: boolean;
  littleEndian: boolean;
  /** Deflated Explicit VR Little Endian: the data set after the meta group is raw-deflated. */
  deflated: boolean;
  /** Pixel data is encapsulated (a compressed syntax). */
  encapsulated: boolean;
}

export interface DicomFile {
  /** File meta information, group 0002 (always Explicit VR Little Endian on disk). */
  meta: DicomDataset;
  dataset: DicomDataset;
  transferSyntax: TransferSyntax;
  /** Whether the source had a 128-byte preamble + "DICM" (false for bare data sets). */
  hadPreamble: boolean;
}

export const tag = (group: number, element: number): Tag => ((group << 16) | element) >>> 0;
export const groupOf = (t: Tag): number => t >>> 16;
export const elementOf = (t: Tag): number => t & 0xffff;
export const formatTag = (t: Tag): string =>
  `(${groupOf(t).toString(16).toUpperCase().padStart(4, '0')},${elementOf(t).toString(16).toUpperCase().padStart(4, '0')})`;
export const isPrivateTag = (t: Tag): boolean => (groupOf(t) & 1) === 1;
