export { walkFiles, InputPathError } from './walk-files.ts';
export {
  deidentifyFile,
  readWholeFile,
  instanceRelativePath,
  writeAtomically,
  OutputWriteError,
  type FileOutcome,
  type FileStatus,
} from './deid-file.ts';
export { deidentifyBatch, type DeidBatchOptions } from './deid-pool.ts';
