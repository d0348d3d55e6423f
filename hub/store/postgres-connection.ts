// What the PostgreSQL engine, blob store and event channel share: reading the --database URL without
// ever repeating its password, the type parsers (integers as numbers, as on SQLite), and turning pg's
// connection failures into one sentence an operator can act on.
import pg from 'pg';
import { HubError } from '../hub-errors.ts';

export interface PostgresTarget {
  /** The URL pg connects with (it holds the password: never logged, never put in a message). */
  readonly connectionString: string;
  /** host:port, safe to show. */
  readonly where: string;
}

/** Reads a postgres:// (or postgresql://) URL; a bad one is refused without quoting it. */
export function postgresTarget(url: string): PostgresTarget {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new HubError(
      'bad-database-url',
      400,
      'The --database value is not a URL. Give one like postgres://user:password@host:5432/radfed.',
    );
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:')
    throw new HubError(
      'bad-database-url',
      400,
      `The --database URL starts with ${parsed.protocol}//, not postgres://. Give one like postgres://user:password@host:5432/radfed.`,
    );
  return { connectionString: url, where: `${parsed.hostname || 'localhost'}:${parsed.port || '5432'}` };
}

// OIDs from PostgreSQL's pg_type catalogue.
const INT8_OID = 20;
const NUMERIC_OID = 1700;

/**
 * Integers the hub stores (sizes, counts, times in ms) are far below 2^53, so BIGINT, COUNT(*) and
 * SUM(…) (NUMERIC) come back as numbers, as SQLite gives them. BYTEA comes back as a Buffer (pg's own).
 */
export const hubTypeParsers: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if (oid === INT8_OID || oid === NUMERIC_OID) return (text: string) => Number(text);
    return pg.types.getTypeParser(oid, format);
  }) as pg.CustomTypesConfig['getTypeParser'],
};

/** How long a connection attempt may take before the server counts as unreachable. */
export const CONNECT_TIMEOUT_MS = 10_000;

// Node's socket failures, and PostgreSQL's "the server is going away or not ready" codes.
const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up, shutting down)
]);
const BAD_LOGIN = new Set(['28P01', '28000']); // invalid_password, invalid_authorization_specification

function codeOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

/** True when pg failed to reach the server or lost it (the caller may retry once it is back). */
export function isConnectionFailure(error: unknown): boolean {
  const code = codeOf(error);
  if (code !== undefined) return UNREACHABLE.has(code);
  const message = error instanceof Error ? error.message : '';
  return /Connection terminated|timeout expired|Client has encountered a connection error/i.test(message);
}

/**
 * The operator's sentence for a failure to connect; other errors pass through unchanged. pg's own
 * messages for these never carry the password, but they are kept only as the cause, never shown.
 */
export function connectionErrorFor(error: unknown, target: PostgresTarget): unknown {
  const code = codeOf(error);
  if (code !== undefined && BAD_LOGIN.has(code))
    return new HubError(
      'database-login-refused',
      503,
      `PostgreSQL at ${target.where} refused the user name or password in --database. Check them with the database's administrator.`,
      { cause: error },
    );
  if (code === '3D000')
    return new HubError(
      'database-missing',
      503,
      `PostgreSQL at ${target.where} has no database of the name in --database. Create it (createdb) or correct the URL.`,
      { cause: error },
    );
  if (!isConnectionFailure(error)) return error;
  const reason =
    code === 'ECONNREFUSED' ? 'connection refused' : code === 'ENOTFOUND' ? 'no such host' : 'no answer';
  return new HubError(
    'database-unreachable',
    503,
    `Cannot reach PostgreSQL at ${target.where}: ${reason}. Check --database and that the server is running.`,
    { cause: error },
  );
}
