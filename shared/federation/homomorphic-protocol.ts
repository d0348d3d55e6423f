// The hub route of a homomorphic task's key: the hub is a blind carrier. It names the site that makes
// the task's CKKS key (the first to join, so every site agrees), lists the joined sites' enrolled
// public keys (the maker seals one box to each; a recipient checks the maker's signature), and holds
// the maker's signed message of sealed boxes. The message's shape is checked where it is read
// (shared/node/homomorphic/task-key-sharing.ts), so here it is carried as it came.
import { z } from 'zod';

export const homomorphicPaths = {
  taskKey: (taskId: string) => `/v1/tasks/${encodeURIComponent(taskId)}/homomorphic/key`,
} as const;

const id = z.string().min(1).max(128);
const rawKey = z.string().regex(/^[A-Za-z0-9_-]{43}$/);

export const homomorphicKeyViewSchema = z.object({
  /** The site that makes (and re-seals, when sites join later) the task's key. */
  makerSiteId: id,
  /** Every joined site with its enrolled keys, in the order they joined. */
  sites: z.array(z.object({ siteId: id, signingPublicKey: rawKey, exchangePublicKey: rawKey })).max(1024),
  /**
   * The largest training cohort a joined site declared (null: none declared): the maker sizes the
   * encryption's value bound from it (shared/node/homomorphic/task-update.ts).
   */
  largestCohort: z.number().int().min(0).nullable(),
  /** The joined sites without a box in the stored message: the maker must seal the key to them. */
  waitingFor: z.array(id).max(1024),
  /** The maker's signed message (TaskKeyMessage), or null before it sent one. */
  message: z.unknown().nullable(),
});
export type HomomorphicKeyView = z.infer<typeof homomorphicKeyViewSchema>;
