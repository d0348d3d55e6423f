export {
  deidentifyFile,
  HEAD_BYTES,
  readWholeFile,
  instanceRelativePath,
  OutputWriteError,
  type FileOutcome,
  type FileStatus,
} from './deid-file.ts';
export { deidentifyBatch, type DeidBatchOptions } from './deid-pool.ts';
export { outputWriteError, PARTIAL_SUFFIX } from './output-writes.ts';
export { beginRun, endRun, RUN_MARKER } from './run-marker.ts';
