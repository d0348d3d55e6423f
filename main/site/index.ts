// The site room's door: what Electron's main process and the `radfed` command use of the site agent.
export {
  SiteAgent,
  type IngestProgress,
  type OpenSiteAgentOptions,
  type SiteAgentDependencies,
} from './agent.ts';
export * from './store/index.ts';
export * from './audit/index.ts';
export * from './ingest/index.ts';
export * from './secret/index.ts';
export * from './deid/index.ts';
