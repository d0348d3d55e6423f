// Resumable uploads of sealed updates. A site declares the size and SHA-256 of what it will send,
// sends it in chunks (each one made durable in the upload spool, ctx.store.spool, and recorded before
// it is acknowledged), then completes
// it with its signed envelope. The hub checks the hash, decrypts, checks the tensors against the
// round's base model (names, shapes, finite values, compression), and records the submission
// (accepted, or rejected with the reason) in one transaction before it answers.
import { taskChannel } from './hub-events.ts';
import { importPublicKey, verifyEnvelope } from '../shared/node/federation/index.ts';
import {
  homomorphicOn,
  modelValueCount,
  type TaskDefinition,
  type CreateUploadRequest,
  type SubmissionView,
  type UploadStatus,
} from '../shared/federation/index.ts';
import { isoAt, newId, type HubContext } from './hub-context.ts';
import { badRequest, conflict, forbidden, notFound, tooLarge } from './hub-errors.ts';
import { findModel } from './model-registry.ts';
import { encryptedUploadLimit, prepareEncryptedCheck } from './homomorphic/index.ts';
import { lockKeys, type SiteRow, type SubmissionRow, type UploadRow } from './store/index.ts';
import { discardedUploadError } from './upload-cleanup.ts';
import { definitionOf, taskForSite } from './tasks.ts';
import { KeyedSerialQueues } from '../shared/serial-queue.ts';
import {
  acceptOrReject,
  checkRoundCollecting,
  checkRoundOpenFor,
  type CompleteRequest,
} from './upload-checks.ts';

/** Envelope overhead allowed above the raw float32 size of the model (headers, padding, sealing). */
const UPLOAD_SLACK_BYTES = 1024 * 1024;
/** Unfinished uploads one site may hold per round and kind (a retry of the same bytes resumes its own). */
export const MAX_OPEN_UPLOADS = 2;
/**
 * Refused updates one site may send per round. Each is kept in the blob store with its reason, so
 * without a cap one enrolled site sending refused bytes over and over filled the hub's disk.
 */
export const MAX_REFUSED_UPLOADS = 10;

/** The largest initial model of the task: its values as float32 plus the same slack as an update. */
export function initialModelLimit(definition: TaskDefinition, maxUploadBytes: number): number {
  const values = modelValueCount(definition);
  return values === null ? maxUploadBytes : Math.min(maxUploadBytes, values * 4 + UPLOAD_SLACK_BYTES);
}

export async function createUpload(
  ctx: HubContext,
  site: SiteRow,
  taskId: string,
  request: CreateUploadRequest,
): Promise<UploadStatus> {
  const task = await taskForSite(ctx, taskId, site);
  if (task.state !== 'active')
    throw conflict('task-not-active', `Task ${task.id} is ${task.state}; it takes no uploads.`);
  if (!(await ctx.store.sites.hasJoined(task.id, site.id))) {
    throw forbidden(
      'not-joined',
      `This site has not joined task ${task.id}; approve the task at the site first.`,
    );
  }
  if (request.bytes > ctx.limits.maxUploadBytes) {
    throw tooLarge(
      'upload-too-large',
      `An upload may be at most ${ctx.limits.maxUploadBytes} bytes; this one declares ${request.bytes}.`,
    );
  }
  const existing = await ctx.store.uploads.findUpload(
    task.id,
    request.round,
    site.id,
    request.kind,
    request.sha256,
  );
  // The same bytes sent again after the hub took them (the site did not hear the answer, and the round
  // may have moved on since): the upload as it ended, so the site records what happened to its update.
  if (existing?.state === 'complete') return uploadStatus(existing);
  if (request.kind === 'initial') {
    if (request.round !== 0) throw badRequest('bad-round', 'An initial model is uploaded for round 0.');
    if (await ctx.store.models.latestModel(task.id)) {
      throw conflict(
        'has-initial-model',
        `Task ${task.id} already has a global model; download it instead of sending one.`,
      );
    }
    const limit = initialModelLimit(definitionOf(task), ctx.limits.maxUploadBytes);
    if (request.bytes > limit) {
      throw tooLarge(
        'upload-too-large',
        `This initial model declares ${request.bytes} bytes, but the task's model (${definitionOf(task).model.name}) ` +
          `is at most ${limit} bytes; check that the site built the task's model.`,
      );
    }
  } else {
    await checkRoundOpenFor(ctx, task.id, request.round, site);
    const base = await findModel(ctx, task.id, 'latest');
    // An encrypted update is about 3.4 times the float32 model (docs/homomorphic-encryption.md).
    const limit = homomorphicOn(definitionOf(task))
      ? await encryptedUploadLimit(ctx, task)
      : base.bytes + UPLOAD_SLACK_BYTES;
    if (request.bytes > limit) {
      throw tooLarge(
        'upload-too-large',
        `This update declares ${request.bytes} bytes, but an update of this task's model is at most ${limit} bytes; ` +
          "check that the site trained the task's model.",
      );
    }
  }
  if (existing) return uploadStatus(existing);
  const chunkBytes = Math.min(request.chunkBytes ?? ctx.limits.defaultChunkBytes, ctx.limits.maxChunkBytes);
  const id = newId('up');
  // Each unfinished upload holds bytes in the spool until its round closes: a site may keep only a few
  // open. Counted and inserted under one lock, so requests racing through several replicas (or one
  // replica's pool on PostgreSQL) cannot each see room for one more.
  await ctx.store.transaction(async (tx) => {
    await tx.lock(lockKeys.siteUploads(task.id, request.round, site.id));
    const refused = (await tx.uploads.submissionsOfSite(task.id, site.id)).filter(
      (row) => row.round === request.round && row.kind === request.kind && row.state === 'rejected',
    ).length;
    if (refused >= MAX_REFUSED_UPLOADS) {
      throw conflict(
        'too-many-refused',
        `The hub refused ${refused} updates of this site for round ${request.round} of task ${task.id} and takes no more from it this round; ` +
          'read the reasons it gave, put the site right, and send in the next round.',
      );
    }
    const open = await tx.uploads.openUploadCount(task.id, request.round, site.id, request.kind);
    if (open >= MAX_OPEN_UPLOADS) {
      throw conflict(
        'too-many-uploads',
        `This site already has ${open} unfinished uploads for round ${request.round} of task ${task.id}; ` +
          'finish one of them (send the same bytes again to resume it), or wait for the next round.',
      );
    }
    await tx.uploads.insertUpload({
      id,
      task_id: task.id,
      round: request.round,
      site_id: site.id,
      kind: request.kind,
      bytes: request.bytes,
      sha256: request.sha256,
      chunk_bytes: chunkBytes,
      created_at: isoAt(ctx),
    });
  });
  return uploadStatus((await ctx.store.uploads.upload(id)) as UploadRow);
}

export async function ownUpload(ctx: HubContext, site: SiteRow, uploadId: string): Promise<UploadRow> {
  const upload = await ctx.store.uploads.upload(uploadId);
  // Another site's upload is reported as absent: a site learns nothing about the others.
  if (!upload || upload.site_id !== site.id) {
    throw (
      (await discardedUploadError(ctx, uploadId, site.id)) ??
      notFound('no-upload', `There is no upload ${uploadId} for this site.`)
    );
  }
  return upload;
}

// Chunks of one upload are written one at a time (each re-reads what the one before recorded).
const writing = new KeyedSerialQueues<string>();

/** Stores one chunk (flushed to disk, then recorded) and returns the upload's status. */
export function putChunk(
  ctx: HubContext,
  site: SiteRow,
  uploadId: string,
  index: number,
  body: Buffer,
): Promise<UploadStatus> {
  return writing.run(uploadId, () => writeChunk(ctx, site, uploadId, index, body));
}

async function writeChunk(
  ctx: HubContext,
  site: SiteRow,
  uploadId: string,
  index: number,
  body: Buffer,
): Promise<UploadStatus> {
  const upload = await ownUpload(ctx, site, uploadId);
  if (upload.state === 'complete') return uploadStatus(upload);
  // A closed round takes no more bytes (its unfinished uploads are about to be discarded).
  if (upload.kind === 'delta') await checkRoundCollecting(ctx, upload.task_id, upload.round);
  const offset = index * upload.chunk_bytes;
  if (!Number.isInteger(index) || index < 0 || offset >= upload.bytes) {
    throw badRequest('bad-chunk', `Chunk ${index} is outside this upload of ${upload.bytes} bytes.`);
  }
  const expected = Math.min(upload.chunk_bytes, upload.bytes - offset);
  if (body.byteLength !== expected) {
    throw badRequest('bad-chunk', `Chunk ${index} must be ${expected} bytes, not ${body.byteLength}.`);
  }
  if (offset + expected <= upload.received_bytes) return uploadStatus(upload); // a retry of a chunk we have
  if (offset !== upload.received_bytes) {
    const next = Math.floor(upload.received_bytes / upload.chunk_bytes);
    throw conflict(
      'chunk-out-of-order',
      `The hub holds ${upload.received_bytes} bytes of this upload; send chunk ${next} next.`,
    );
  }
  await ctx.store.spool.writeChunk(upload.id, offset, body);
  await ctx.store.uploads.setReceived(upload.id, offset + body.byteLength, isoAt(ctx));
  const after = await ctx.store.uploads.upload(upload.id);
  if (!after) {
    // Discarded while this chunk was written: its round closed or its task ended.
    await ctx.store.spool.remove(upload.id);
    throw (
      (await discardedUploadError(ctx, upload.id, site.id)) ??
      notFound('no-upload', `There is no upload ${upload.id} for this site.`)
    );
  }
  return uploadStatus(after);
}

export async function completeUpload(
  ctx: HubContext,
  site: SiteRow,
  uploadId: string,
  request: CompleteRequest,
): Promise<SubmissionRow> {
  const upload = await ownUpload(ctx, site, uploadId);
  if (upload.state === 'complete' && upload.submission_id) {
    return (await ctx.store.uploads.submission(upload.submission_id)) as SubmissionRow;
  }
  // Before the bytes move into the blob store: a closed round's upload is refused, not stored.
  if (upload.kind === 'delta') await checkRoundCollecting(ctx, upload.task_id, upload.round);
  if (upload.received_bytes < upload.bytes) {
    throw conflict(
      'upload-incomplete',
      `The hub holds ${upload.received_bytes} of ${upload.bytes} bytes; send the rest first.`,
    );
  }
  const { envelope, envelopeSignature } = request;
  const matches =
    envelope.siteId === site.id &&
    envelope.taskId === upload.task_id &&
    envelope.round === upload.round &&
    envelope.kind === upload.kind &&
    envelope.ciphertextSha256 === upload.sha256 &&
    envelope.ciphertextBytes === upload.bytes;
  if (!matches)
    throw badRequest(
      'bad-envelope',
      'The envelope does not describe this upload (task, round, kind, size or hash differ).',
    );
  if (!verifyEnvelope(envelope, envelopeSignature, importPublicKey(site.signing_public_key, 'ed25519'))) {
    throw badRequest('bad-envelope', "The envelope's signature does not verify with this site's key.");
  }
  // The bytes are either still in the spool, or already moved into the blob store by a try that died
  // before it recorded the submission.
  const { spool, blobs } = ctx.store;
  const inStore = !(await spool.holds(upload.id)) && (await blobs.has(upload.sha256));
  if (!inStore) {
    // Hashed before it moves, so bytes that are not what the site declared never enter the store.
    const actual = await spool.hash(upload.id);
    if (actual !== upload.sha256) {
      await ctx.store.uploads.deleteUpload(upload.id);
      await spool.remove(upload.id);
      throw badRequest(
        'hash-mismatch',
        'The bytes received do not match the SHA-256 the site declared (altered or corrupted on the way); the upload was discarded. Send it again.',
      );
    }
    await spool.moveInto(blobs, upload.id, upload.sha256);
  }
  if (upload.kind === 'delta') await prepareEncryptedCheck(ctx, upload.task_id);
  const submission = await acceptOrReject(ctx, site, upload, envelope, envelopeSignature);
  ctx.events.publish(taskChannel(upload.task_id));
  return submission;
}

export function uploadStatus(row: UploadRow): UploadStatus {
  return {
    uploadId: row.id,
    taskId: row.task_id,
    round: row.round,
    kind: row.kind,
    bytes: row.bytes,
    sha256: row.sha256,
    chunkBytes: row.chunk_bytes,
    receivedBytes: row.received_bytes,
    state: row.state,
    submissionId: row.submission_id,
  };
}

export function submissionView(row: SubmissionRow): SubmissionView {
  return {
    id: row.id,
    taskId: row.task_id,
    round: row.round,
    siteId: row.site_id,
    kind: row.kind,
    examples: row.examples,
    state: row.state,
    reason: row.reason,
    ciphertextSha256: row.blob_sha256,
    createdAt: row.created_at,
  };
}
