export {
  ingestPath,
  type IngestFileOutcome,
  type IngestFileStatus,
  type IngestOptions,
  type IngestSite,
  type IngestSummary,
} from './ingest-path.ts';
export { IngestError } from './ingest-error.ts';
export { listInputFiles } from './input-walk.ts';
