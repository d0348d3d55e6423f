// The DICOM codec: parse and write Part 10 files over the shared model, plus the data dictionary,
// transfer syntaxes, tags and value helpers every other room uses.
export type { DicomDataset, DicomElement, DicomFile, Tag, TransferSyntax, Vr } from './model.ts';
export { elementOf, formatTag, groupOf, isPrivateTag, tag } from './model.ts';
export { DicomParseError, DicomWriteError } from './errors.ts';
export type { DicomParseErrorCode, DicomWriteErrorCode } from './errors.ts';
export { parseDicom } from './parse-dicom.ts';
export type { ParseOptions } from './parse-dicom.ts';
export { writeDicom } from './write-dicom.ts';
export type { WriteOptions } from './write-dicom.ts';
export { buildFileMeta, IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME } from './file-meta.ts';
export * from './transfer-syntax.ts';
export { keywordOf, vrOf } from './dictionary.ts';
export {
  encodeNumbers,
  encodeText,
  getString,
  latin1Bytes,
  readNumbers,
  readString,
  readStrings,
  setString,
} from './values.ts';
export { walkDataset } from './walk.ts';
export { Tags } from './tags.ts';
export type { TagKeyword } from './tags.ts';
export { LONG_VRS, TEXT_VRS, isVr } from './vr.ts';
