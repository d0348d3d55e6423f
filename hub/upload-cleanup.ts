// Removing what unfinished uploads leave behind. A site may open an upload and never finish it (it
// crashed, it went away, or it floods the hub on purpose); the bytes it sent sit in the upload spool
// (a .part file, or rows in PostgreSQL). Once nothing can take that upload any more (its round closed,
// its task ended, the task got its initial model) the row and the bytes go. At start, spooled bytes
// that no unfinished upload names (a crash between deleting a row and its bytes, or an older hub) go
// too, and so do blob writes a killed process left unfinished.
import type { HubContext } from './hub-context.ts';
import { conflict, type HubError } from './hub-errors.ts';
import type { UploadRow } from './store/index.ts';

/**
 * A blob write older than this that never finished was left by a killed process. A write that runs
 * (another replica streaming a model into PostgreSQL) takes seconds to minutes, far less than this.
 */
export const ABANDONED_BLOB_WRITE_MS = 60 * 60 * 1000;

/**
 * Uploads discarded by this process, so a site still sending to one hears why (its round closed, its
 * task ended) rather than "no such upload", and records its round as missed. Bounded: the oldest go.
 */
const discarded = new Map<string, { siteId: string; why: HubError }>();
const DISCARDED_KEPT = 10_000;

async function remember(ctx: HubContext, upload: UploadRow): Promise<void> {
  const task = await ctx.store.tasks.task(upload.task_id);
  const why =
    task?.state !== 'active'
      ? conflict(
          'task-not-active',
          `Task ${upload.task_id} is ${task?.state ?? 'gone'}; it takes no uploads.`,
        )
      : upload.kind === 'initial'
        ? conflict(
            'has-initial-model',
            `Task ${upload.task_id} already has a global model; download it instead.`,
          )
        : conflict(
            'round-not-collecting',
            `Round ${upload.round} of task ${upload.task_id} closed before this upload was complete; its bytes were discarded. ` +
              'Fetch the current round and train on its global model.',
          );
  discarded.set(`${ctx.layout.root}|${upload.id}`, { siteId: upload.site_id, why });
  if (discarded.size > DISCARDED_KEPT) discarded.delete(discarded.keys().next().value as string);
}

/** Why a site's upload that no longer exists was discarded (null when this process did not discard it). */
export function discardedUploadError(
  ctx: HubContext,
  uploadId: string,
  siteId: string,
): Promise<HubError | null> {
  const entry = discarded.get(`${ctx.layout.root}|${uploadId}`);
  // Async although the map is in memory: a replicated hub will look the reason up in the database.
  return Promise.resolve(entry && entry.siteId === siteId ? entry.why : null);
}

/** Deletes the rows and spooled bytes of uploads nothing will ever take; returns how many. */
export async function discardAbandonedUploads(ctx: HubContext): Promise<number> {
  const abandoned = await ctx.store.uploads.abandonedUploads();
  for (const upload of abandoned) {
    await remember(ctx, upload);
    // The row first: bytes without a row are removed at the next start; a row without its bytes would
    // only make the site's next chunk start them again.
    await ctx.store.uploads.deleteUpload(upload.id);
    await ctx.store.spool.remove(upload.id);
  }
  return abandoned.length;
}

/** Removes spooled bytes that no unfinished upload names; returns how many uploads' bytes went. */
export function removeOrphanParts(ctx: HubContext): Promise<number> {
  return ctx.store.spool.removeAllBut(() => ctx.store.uploads.receivingUploadIds());
}

const sweptAtStart = new WeakSet<HubContext>();

/**
 * Every call: abandoned uploads. The first call for a hub context (its start): orphan spooled bytes and
 * unfinished blob writes too (what a kill -9 leaves).
 */
export async function sweepUploads(ctx: HubContext): Promise<void> {
  await discardAbandonedUploads(ctx);
  if (sweptAtStart.has(ctx)) return;
  sweptAtStart.add(ctx);
  await removeOrphanParts(ctx);
  await ctx.store.blobs.sweepAbandonedWrites(ABANDONED_BLOB_WRITE_MS);
}
