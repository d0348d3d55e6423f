// The site secret: 32 random bytes that key every pseudonym, UID remapping and date shift at a site.
// Whoever holds it can link pseudonyms back to patients they already know, so it lives in a file
// only its owner can read (mode 0600) and never leaves the site.
import { randomBytes } from 'node:crypto';
import { chmodSync, readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { AtomicWriteError, makeFolder, writeFileAtomically } from '../../../shared/node/index.ts';
import { RadfedError } from '../../../shared/errors.ts';

export const SITE_SECRET_BYTES = 32;

export class SiteSecretError extends RadfedError<'unreadable' | 'wrong-size' | 'too-open'> {
  override readonly name = 'SiteSecretError';
}

/** Reads the secret at `path`, or creates it (32 random bytes, mode 0600) when the file does not exist. */
export function loadOrCreateSiteSecret(path: string): Uint8Array {
  let exists = true;
  try {
    statSync(path);
  } catch {
    exists = false;
  }
  if (!exists) {
    // Not mkdirSync's recursive mode: it never returns under /proc (shared/node/make-folder.ts).
    makeFolder(dirname(path), 'the folder of the site key', 0o700);
    const secret = randomBytes(SITE_SECRET_BYTES);
    // Exclusive: fails if another process created it meanwhile: then read theirs, so both agree. Flushed,
    // so a power cut cannot leave an empty key behind a site that has begun pseudonymising.
    try {
      writeFileAtomically(path, secret, { mode: 0o600, exclusive: true });
      chmodSync(path, 0o600);
      return new Uint8Array(secret);
    } catch (error) {
      if (!(error instanceof AtomicWriteError && error.reason === 'EEXIST')) throw error;
    }
  }
  return readSiteSecret(path);
}

export function readSiteSecret(path: string): Uint8Array {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw new SiteSecretError(
      'unreadable',
      `Cannot read the site key at ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'}). Check the path and that this user may read it.`,
    );
  }
  if (bytes.length !== SITE_SECRET_BYTES) {
    throw new SiteSecretError(
      'wrong-size',
      `The site key at ${path} is ${bytes.length} bytes, not ${SITE_SECRET_BYTES}. It is damaged or not a RadFed key; restore it from backup (a new key would change every pseudonym).`,
    );
  }
  if (process.platform !== 'win32' && (statSync(path).mode & 0o077) !== 0) {
    throw new SiteSecretError(
      'too-open',
      `The site key at ${path} can be read by other users. Run: chmod 600 ${path}`,
    );
  }
  return new Uint8Array(bytes);
}
