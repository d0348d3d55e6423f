// UID replacement (Table E.1-1 action U): HMAC-SHA256 of the original under the site secret, as a
// 2.25 UID (PS3.5 B.2: a UUID-derived integer). The same original gives the same UID in every file
// and run at a site, so references between objects stay intact.
import { keyedHash } from './keyed-hashes.ts';

/** Per secret (by object identity), original UID → remapped UID. */
const caches = new WeakMap<Uint8Array, Map<string, string>>();
const CACHE_LIMIT = 50_000;

/**
 * '2.25.' + the first 16 bytes of HMAC-SHA256(secret, 'uid:' + uid) as an unsigned decimal integer:
 * at most 44 characters (limit 64), no leading zeros (BigInt decimal), no trailing padding.
 */
export function remapUid(secret: Uint8Array, uid: string): string {
  let cache = caches.get(secret);
  if (!cache) caches.set(secret, (cache = new Map()));
  const hit = cache.get(uid);
  if (hit !== undefined) return hit;
  const digest = keyedHash(secret, 'uid', uid);
  const remapped = `2.25.${BigInt(`0x${digest.toString('hex', 0, 16)}`).toString(10)}`;
  // A study's Study/Series/Frame of Reference UIDs repeat in every slice: caching saves the HMACs.
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(uid, remapped);
  return remapped;
}

/** UIDs defined by the standard itself (SOP classes, transfer syntaxes, coding schemes): never remapped. */
export const isStandardUid = (uid: string): boolean => uid.startsWith('1.2.840.10008.');
