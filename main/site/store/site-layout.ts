// A site on disk:
//   D/site.json      configuration (site-config.ts)
//   D/keys/site.key  the site secret (mode 0600, folder 0700)
//   D/site.db        SQLite: research index and audit log
//   D/research/      de-identified DICOM, <pseudonym>/<study>/<series>/<sop>.dcm
//   D/quarantine/    identified copies awaiting de-identification, or held back (mode 0700)
// site.json is written last, so a folder without it is not (yet) a site.
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { isAtomicTemporaryOf, makeFolder, writeFileAtomically } from '../../../shared/node/index.ts';
import { checkSiteName } from '../../../shared/site-name.ts';
import { JsonTextError, parseJsonText } from '../../../shared/json-text.ts';
import { issuePath, issueText } from '../../../shared/schema-issues.ts';
import { parseDeidOptions, type DeidOption } from '../deid/index.ts';
import { loadOrCreateSiteSecret, readSiteSecret } from '../secret/index.ts';
import { AuditLog, commandActor } from '../audit/index.ts';
import { openSiteDatabase, type SiteDatabase } from './site-database.ts';
import { LATEST_SCHEMA_VERSION } from './migrations.ts';
import { SITE_CONFIG_VERSION, SiteConfigSchema, type SiteConfig } from './site-config.ts';
import { RadfedError } from '../../../shared/errors.ts';

export interface SitePaths {
  directory: string;
  config: string;
  key: string;
  database: string;
  research: string;
  quarantine: string;
}

/** An open site. Close `database` when done. */
export interface Site {
  directory: string;
  paths: SitePaths;
  config: SiteConfig;
  secret: Uint8Array;
  database: SiteDatabase;
}

export class SiteError extends RadfedError<
  | 'site-exists'
  | 'folder-not-empty'
  | 'not-a-site'
  | 'bad-config'
  | 'newer-version'
  | 'bad-name'
  | 'bad-consent-policy'
> {
  override readonly name = 'SiteError';
}

export interface InitSiteOptions {
  name: string;
  deidOptions: readonly DeidOption[];
  clock?: () => Date;
  /** Recorded as the actor of the `site.created` audit entry. */
  actor?: string;
  /**
   * Who is in (main/site/consent). `radfed site init` requires it; left out here only by callers
   * made before the register existed, which get 'not-set' (read as opt-out).
   */
  consentPolicy?: 'opt-in' | 'opt-out';
  /** The research the site's consent covers, e.g. "chest imaging research". */
  consentScope?: string;
}

export function sitePaths(directory: string): SitePaths {
  const dir = resolve(directory);
  return {
    directory: dir,
    config: join(dir, 'site.json'),
    key: join(dir, 'keys', 'site.key'),
    database: join(dir, 'site.db'),
    research: join(dir, 'research'),
    quarantine: join(dir, 'quarantine'),
  };
}

// What an interrupted init may have left behind: such a folder may be initialised again.
const LAYOUT_ENTRIES = new Set(['keys', 'site.db', 'site.db-wal', 'site.db-shm', 'research', 'quarantine']);

/** Creates a new site in `directory` (which must not exist, be empty, or hold an interrupted init). */
export function initSite(
  directory: string,
  options: InitSiteOptions,
): { directory: string; config: SiteConfig } {
  const paths = sitePaths(directory);
  // The one name rule (shared/site-name.ts), as the wizard, Settings and the hub apply it.
  const checkedName = checkSiteName(options.name);
  if (!checkedName.ok) throw new SiteError('bad-name', `${checkedName.problem} Nothing was created.`);
  const name = checkedName.name;
  // Unknown or conflicting options would make a site that cannot be opened: refuse them up front.
  const deidOptions = parseDeidOptions(options.deidOptions);
  const consent = checkConsentChoice(options);
  if (existsSync(paths.config)) {
    throw new SiteError(
      'site-exists',
      `A RadFed site already exists in ${paths.directory}; it was left as it is. Use it (radfed site status --dir ${paths.directory}) or choose another folder.`,
    );
  }
  if (existsSync(paths.directory)) {
    const foreign = readdirSync(paths.directory).filter(
      (entry) => !LAYOUT_ENTRIES.has(entry) && !isAtomicTemporaryOf(entry, 'site.json'),
    );
    if (foreign.length > 0) {
      throw new SiteError(
        'folder-not-empty',
        `${paths.directory} already holds other files. Choose a new or empty folder for the site.`,
      );
    }
  }
  const clock = options.clock ?? (() => new Date());
  makePrivateDir(paths.directory);
  loadOrCreateSiteSecret(paths.key);
  chmodSync(join(paths.directory, 'keys'), 0o700);
  mkdirSync(paths.research, { recursive: true });
  makePrivateDir(paths.quarantine);

  const config: SiteConfig = {
    schemaVersion: SITE_CONFIG_VERSION,
    name,
    deidOptions,
    consentPolicy: consent.policy,
    ...(consent.scope === undefined ? {} : { consentScope: consent.scope }),
    createdAt: clock().toISOString(),
  };
  const db = openSiteDatabase(paths.database);
  try {
    new AuditLog(db, clock).append({
      type: 'site.created',
      actor: options.actor ?? commandActor(),
      detail: {
        deidOptions: config.deidOptions,
        consentPolicy: config.consentPolicy,
        ...(config.consentScope === undefined ? {} : { consentScope: config.consentScope }),
        configVersion: SITE_CONFIG_VERSION,
        databaseSchemaVersion: LATEST_SCHEMA_VERSION,
      },
    });
  } finally {
    db.close();
  }
  writeFileAtomically(paths.config, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o644 });
  return { directory: paths.directory, config };
}

/** Opens an existing site: reads its configuration and secret, and opens (and migrates) its database. */
export function openSite(directory: string): Site {
  const paths = sitePaths(directory);
  const config = readSiteConfig(paths);
  const secret = readSiteSecret(paths.key);
  mkdirSync(paths.research, { recursive: true });
  makePrivateDir(paths.quarantine);
  const database = openSiteDatabase(paths.database);
  return { directory: paths.directory, paths, config, secret, database };
}

export function readSiteConfig(paths: SitePaths): SiteConfig {
  let text: string;
  try {
    text = readFileSync(paths.config, 'utf8');
  } catch {
    throw new SiteError(
      'not-a-site',
      `${paths.directory} is not a RadFed site (it has no site.json). Run radfed site init --dir ${paths.directory} first.`,
    );
  }
  let raw: unknown;
  try {
    raw = parseJsonText(text, { what: paths.config, todo: 'Restore it from backup.' });
  } catch (error) {
    if (error instanceof JsonTextError) throw new SiteError('bad-config', error.message);
    throw error;
  }
  const version = (raw as { schemaVersion?: unknown } | null)?.schemaVersion;
  if (typeof version === 'number' && version > SITE_CONFIG_VERSION) {
    throw new SiteError(
      'newer-version',
      `${paths.config} was written by a newer RadFed (configuration version ${version}). Update RadFed to open this site.`,
    );
  }
  const parsed = SiteConfigSchema.safeParse(raw);
  if (!parsed.success) {
    // By path and expected type: zod's words name an unknown key, which an edited file may have filled.
    const issue = parsed.error.issues[0];
    throw new SiteError(
      'bad-config',
      `${paths.config} is not a valid site configuration (${(issue && issuePath(issue.path)) || 'root'}: ${issue ? issueText(issue) : 'invalid'}). Restore it from backup.`,
    );
  }
  return parsed.data;
}

function checkConsentChoice(options: InitSiteOptions): {
  policy: SiteConfig['consentPolicy'];
  scope?: string;
} {
  const policy = options.consentPolicy ?? 'not-set';
  if (!['opt-in', 'opt-out', 'not-set'].includes(policy)) {
    throw new SiteError(
      'bad-consent-policy',
      'The consent policy must be opt-in (only patients who granted consent) or opt-out (all but those who refused or withdrew).',
    );
  }
  if (options.consentScope === undefined) return { policy };
  const scope = options.consentScope.trim().replace(/\s+/g, ' ');
  // eslint-disable-next-line no-control-regex
  if (scope === '' || scope.length > 200 || /[\u0000-\u001f]/.test(scope)) {
    throw new SiteError(
      'bad-consent-policy',
      'The consent scope must be 1 to 200 characters on one line, e.g. "chest imaging research".',
    );
  }
  return { policy, scope };
}

function makePrivateDir(path: string): void {
  // Not mkdirSync's recursive mode: it never returns under /proc (shared/node/make-folder.ts).
  makeFolder(path, 'the site folder', 0o700);
  if (!statSync(path).isDirectory()) throw new SiteError('bad-config', `${path} should be a folder.`);
  chmodSync(path, 0o700);
}
