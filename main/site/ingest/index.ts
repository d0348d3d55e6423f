export {
  ingestPath,
  type IngestFileOutcome,
  type IngestFileStatus,
  type IngestOptions,
  type IngestSite,
  type IngestSummary,
} from './ingest-path.ts';
export { IngestError } from './ingest-error.ts';
export { listInputFiles, walkInput } from './input-walk.ts';
export { IngestLane, IngestRun, releaseQuarantined, type IngestRunOptions } from './ingest-run.ts';
export { errorCode } from './ingest-file.ts';
export { moveFile, setAsideFailed, type SetAsideFile } from './failed-files.ts';
export { recoverInterruptedIngest, type IngestRecovery } from './ingest-recovery.ts';
export { lastIngestRun, type LastIngestRun, type InterruptedRun } from './ingest-runs.ts';
export { currentOwner } from './ingest-owner.ts';
