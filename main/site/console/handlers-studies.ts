// IPC handlers of the Studies page: import a folder (followed by polling), the de-identification
// report, one instance's header before and after de-identification, and the stored studies with
// thumbnails rendered from their de-identified copies.
import type { IngestSite } from '../ingest/index.ts';
import { deidReport } from './deid-report.ts';
import { ImportJobs, type IngestFolder } from './import-jobs.ts';
import { instanceHeader } from './instance-header.ts';
import type { IpcHandlers } from './ipc-handlers.ts';
import { storedStudies, StudyThumbnails } from './stored-studies.ts';

/** What the Studies handlers need of the site agent; `SiteAgent` has it. */
export interface StudiesAgentPort {
  readonly site: IngestSite;
  ingest: IngestFolder;
}

export type StudiesHandlers = Pick<
  IpcHandlers,
  | 'studies:import-start'
  | 'studies:import-progress'
  | 'studies:report'
  | 'studies:header'
  | 'studies:list'
  | 'studies:thumbnail'
>;

export function createStudiesHandlers(agent: StudiesAgentPort, jobs = new ImportJobs()): StudiesHandlers {
  const thumbnails = new StudyThumbnails();
  return {
    'studies:import-start': async ({ folder }) => ({
      importId: await jobs.start(folder, (path, onProgress) => agent.ingest(path, onProgress)),
    }),
    'studies:import-progress': ({ importId }) => jobs.progress(importId),
    'studies:report': () => deidReport(agent.site),
    'studies:header': (source) => instanceHeader(agent.site, jobs, source),
    'studies:list': () => storedStudies(agent.site),
    'studies:thumbnail': ({ key }) => thumbnails.thumbnail(agent.site, key),
  };
}
