// swarm:status: the Swarm page (read-only). The swarm's files are in the site folder (`radfed swarm
// … --dir` is the same folder); swarm-status.ts reads them without writing.
import type { IngestSite } from '../ingest/index.ts';
import type { IpcHandlers } from './ipc-handlers.ts';
import { readSwarmStatus } from './swarm-status.ts';

export interface SwarmAgentPort {
  readonly site: Pick<IngestSite, 'directory'>;
}

export function createSwarmHandlers(agent: SwarmAgentPort): Pick<IpcHandlers, 'swarm:status'> {
  return { 'swarm:status': () => readSwarmStatus(agent.site.directory) };
}
