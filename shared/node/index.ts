// Code shared by the Node processes (site agent, Electron main, hub, CLI), never the renderer: it uses
// node:fs. ESLint keeps the renderer out of this folder.
export {
  createLogger,
  IDENTIFYING_KEYWORDS,
  REDACTED_FIELDS,
  roomLogger,
  silentLogger,
  type LogRoom,
  type RadfedLoggerOptions,
} from './logger.ts';
export {
  AtomicWriteError,
  isAtomicTemporaryOf,
  writeFileAtomically,
  writeFileAtomicallyAsync,
  type AtomicWriteOptions,
} from './atomic-file.ts';
export {
  applyMigrations,
  CREATE_SCHEMA_MIGRATIONS,
  latestVersion,
  nextMigration,
  SchemaNewerThanCodeError,
  schemaVersion,
  type Migration,
} from './schema-migrations.ts';
export {
  openSqliteDatabase,
  SQLITE_BUSY_TIMEOUT_MS,
  SqliteOpenError,
  type SqliteOpenOptions,
} from './sqlite-database.ts';
export { FolderCreateError, makeFolder, type FolderCreateCode } from './make-folder.ts';
export { closeSilentConnections, FIRST_REQUEST_MS } from './silent-connections.ts';
export {
  FolderWalkError,
  listFolderFiles,
  walkFolder,
  type FolderListing,
  type FolderWalkOptions,
} from './folder-walk.ts';
export {
  decodeWeights,
  encodeWeights,
  WEIGHTS_FORMAT,
  WEIGHTS_FORMAT_VERSION,
  WeightsFormatError,
  weightsManifestSchema,
  type NamedValues,
  type WeightsManifest,
} from './weights-format.ts';
