export {
  eraseFreedPages,
  openSiteDatabase,
  SiteDatabaseError,
  type FreedPagesErasure,
  type SiteDatabase,
} from './site-database.ts';
export {
  applyMigrations,
  schemaVersion,
  LATEST_SCHEMA_VERSION,
  MIGRATIONS,
  type Migration,
} from './migrations.ts';
export {
  ResearchIndex,
  type HeldEntry,
  type HeldInput,
  type IndexedInstance,
  type IngestRunCounts,
  type InputOutcome,
  type RejectedInput,
  type SiteCounts,
  type StoredInstance,
} from './research-index.ts';
export {
  AeTitleSchema,
  ReceiverSettingsSchema,
  SITE_CONFIG_VERSION,
  SiteConfigSchema,
  WatchSettingsSchema,
  writeSiteConfig,
  type ReceiverSettings,
  type SiteConfig,
  type WatchSettings,
} from './site-config.ts';
export {
  initSite,
  openSite,
  readSiteConfig,
  sitePaths,
  SiteError,
  type InitSiteOptions,
  type Site,
  type SitePaths,
} from './site-layout.ts';
