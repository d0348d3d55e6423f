// Every pseudonym, remapped UID and date offset is an HMAC-SHA256 under the site secret, with a
// label per purpose, so the same input gives the same output in every file, study and run at that
// site, and nothing can be reversed or linked across sites without the secret.
import { createHmac } from 'node:crypto';

/** Per secret (by object identity), 'label:value' → digest. */
const caches = new WeakMap<Uint8Array, Map<string, Buffer>>();
const CACHE_LIMIT = 50_000;

/**
 * HMAC-SHA256(secret, label + ':' + value). A study's pseudonym, accession and study hashes and date
 * offset are the same in each of its slices, so digests are kept for the run (in memory only). The
 * returned buffer is shared: read it, never write to it.
 */
export function keyedHash(secret: Uint8Array, label: string, value: string): Buffer {
  let cache = caches.get(secret);
  if (!cache) caches.set(secret, (cache = new Map()));
  const message = `${label}:${value}`;
  let digest = cache.get(message);
  if (digest === undefined) {
    digest = createHmac('sha256', secret).update(message, 'utf8').digest();
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(message, digest);
  }
  return digest;
}

/**
 * The patient pseudonym that replaces Patient ID and Patient Name: 'RF' and the first 16 hex digits
 * (64 bits) of HMAC-SHA256(secret, 'patient:' + id), upper case: 18 characters, valid as LO and PN.
 */
export function patientPseudonym(secret: Uint8Array, patientId: string): string {
  return `RF${keyedHash(secret, 'patient', patientId).toString('hex', 0, 8).toUpperCase()}`;
}

/**
 * A file without a Patient ID still gets a stable pseudonym: derived from its Study Instance UID
 * (label 'patient-of-study'), else from its SOP Instance UID, so all files of that study agree and it
 * can never equal the pseudonym of a real Patient ID.
 */
export function pseudonymWithoutPatientId(
  secret: Uint8Array,
  studyUid: string,
  sopInstanceUid: string,
): string {
  const [label, value] = studyUid ? ['patient-of-study', studyUid] : ['patient-of-instance', sopInstanceUid];
  return `RF${keyedHash(secret, label, value).toString('hex', 0, 8).toUpperCase()}`;
}

/** HMAC-SHA256(secret, 'accession:' + accession number) in hex, to match label CSVs to studies later. */
export const accessionHash = (secret: Uint8Array, accession: string): string =>
  keyedHash(secret, 'accession', accession).toString('hex');

/** HMAC-SHA256(secret, 'study:' + original Study Instance UID) in hex. */
export const studyUidHash = (secret: Uint8Array, studyUid: string): string =>
  keyedHash(secret, 'study', studyUid).toString('hex');

/** A consistent replacement for an Application Entity title (Retain Device Identity's C): 'AE' + 8 hex. */
export const aeTitlePseudonym = (secret: Uint8Array, aeTitle: string): string =>
  `AE${keyedHash(secret, 'ae', aeTitle).toString('hex', 0, 4).toUpperCase()}`;
