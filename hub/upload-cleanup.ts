// Removing what unfinished uploads leave behind. A site may open an upload and never finish it (it
// crashed, it went away, or it floods the hub on purpose); the bytes it sent sit in a .part file. Once
// nothing can take that upload any more (its round closed, its task ended, the task got its initial
// model) the row and the file go. At start, .part files that no unfinished upload names (a crash
// between deleting a row and its file, or an older hub) go too.
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { HubContext } from './hub-context.ts';
import { conflict, type HubError } from './hub-errors.ts';
import type { UploadRow } from './store/index.ts';

const PART_SUFFIX = '.part';

function partFile(ctx: HubContext, uploadId: string): string {
  return join(ctx.layout.uploads, `${uploadId}${PART_SUFFIX}`);
}

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

/** Deletes the rows and .part files of uploads nothing will ever take; returns how many. */
export async function discardAbandonedUploads(ctx: HubContext): Promise<number> {
  const abandoned = await ctx.store.uploads.abandonedUploads();
  for (const upload of abandoned) {
    await remember(ctx, upload);
    // The row first: a .part without a row is removed at the next start; a row without its file would
    // only make the site's next chunk start the file again.
    await ctx.store.uploads.deleteUpload(upload.id);
    rmSync(partFile(ctx, upload.id), { force: true });
  }
  return abandoned.length;
}

/** Removes .part files that no unfinished upload names; returns how many. */
export async function removeOrphanParts(ctx: HubContext): Promise<number> {
  const open = await ctx.store.uploads.receivingUploadIds();
  let removed = 0;
  let names: string[];
  try {
    names = readdirSync(ctx.layout.uploads);
  } catch {
    return 0; // no uploads folder yet: nothing was ever uploaded
  }
  for (const name of names) {
    if (!name.endsWith(PART_SUFFIX)) continue;
    if (open.has(name.slice(0, -PART_SUFFIX.length))) continue;
    rmSync(join(ctx.layout.uploads, name), { force: true });
    removed += 1;
  }
  return removed;
}

const sweptAtStart = new WeakSet<HubContext>();

/** Every call: abandoned uploads. The first call for a hub context (its start): orphan .part files too. */
export async function sweepUploads(ctx: HubContext): Promise<void> {
  await discardAbandonedUploads(ctx);
  if (sweptAtStart.has(ctx)) return;
  sweptAtStart.add(ctx);
  await removeOrphanParts(ctx);
}
