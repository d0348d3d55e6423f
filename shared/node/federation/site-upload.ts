// Sealing and sending one update. Sealing is separate from sending so that a site can keep the sealed
// bytes on disk and resume the same upload after a restart (a new seal would be new bytes: the
// ephemeral key is fresh each time).
import type { KeyObject } from 'node:crypto';
import type { z } from 'zod';
import { signEnvelope } from './envelope-signing.ts';
import {
  HubRequestError,
  hubPaths,
  PROTOCOL_VERSION,
  submissionViewSchema,
  uploadStatusSchema,
  type SubmissionView,
  type UpdateEnvelope,
  type UploadKind,
  type UploadStatus,
  type WeightSet,
  encodeWeights,
  type Compression,
} from '../../federation/index.ts';
import { sha256Hex } from './keys.ts';
import { sealForHub, uploadContext } from './sealed-box.ts';

export interface SealedUpdate {
  readonly round: number;
  readonly kind: UploadKind;
  readonly baseVersion: number | null;
  readonly examples: number;
  readonly compression: Compression;
  readonly siteId: string;
  /** The bytes that travel: RFS1 (sealed to the hub) around RFW1 (the compressed tensors). */
  readonly sealed: Uint8Array;
  readonly sha256: string;
}

export interface UploadProgress {
  readonly uploadId: string;
  readonly sentBytes: number;
  readonly totalBytes: number;
}

export function sealUpdate(options: {
  taskId: string;
  round: number;
  siteId: string;
  kind: UploadKind;
  weights: WeightSet;
  baseVersion: number | null;
  examples: number;
  compression: Compression;
  hubExchangePublicKey: string;
}): SealedUpdate {
  const plaintext = encodeWeights(options.weights, options.kind === 'initial' ? 'none' : options.compression);
  const context = uploadContext({
    taskId: options.taskId,
    round: options.round,
    siteId: options.siteId,
    kind: options.kind,
  });
  const sealed = sealForHub(plaintext, options.hubExchangePublicKey, context);
  return {
    round: options.round,
    kind: options.kind,
    baseVersion: options.baseVersion,
    examples: options.examples,
    compression: options.kind === 'initial' ? 'none' : options.compression,
    siteId: options.siteId,
    sealed,
    sha256: sha256Hex(sealed),
  };
}

export function envelopeFor(taskId: string, update: SealedUpdate): UpdateEnvelope {
  return {
    protocol: PROTOCOL_VERSION,
    taskId,
    round: update.round,
    siteId: update.siteId,
    kind: update.kind,
    baseVersion: update.baseVersion,
    examples: update.examples,
    compression: update.compression,
    ciphertextSha256: update.sha256,
    ciphertextBytes: update.sealed.byteLength,
  };
}

/** The two calls of HubClient this needs (kept narrow so tests can drive it with a raw client). */
export interface SignedSender {
  send(method: string, path: string, body?: Uint8Array, contentType?: string): Promise<{ body: Buffer }>;
  call<S extends z.ZodType>(schema: S, method: string, path: string, json?: unknown): Promise<z.output<S>>;
}

export async function uploadSealed(
  client: SignedSender,
  taskId: string,
  update: SealedUpdate,
  signingKey: KeyObject,
  onProgress?: (progress: UploadProgress) => void,
  chunkBytes?: number,
): Promise<{ upload: UploadStatus; submission: SubmissionView }> {
  let status = await client.call(uploadStatusSchema, 'POST', hubPaths.uploads(taskId), {
    round: update.round,
    kind: update.kind,
    bytes: update.sealed.byteLength,
    sha256: update.sha256,
    ...(chunkBytes ? { chunkBytes } : {}),
  });
  let received = status.receivedBytes;
  while (status.state === 'receiving' && received < status.bytes) {
    const index = Math.floor(received / status.chunkBytes);
    const start = index * status.chunkBytes;
    const chunk = update.sealed.subarray(start, Math.min(status.bytes, start + status.chunkBytes));
    try {
      const sent = await client.send(
        'PUT',
        hubPaths.chunk(status.uploadId, index),
        chunk,
        'application/octet-stream',
      );
      received = uploadStatusSchema.parse(JSON.parse(sent.body.toString('utf8'))).receivedBytes;
    } catch (error) {
      // The hub holds a different amount than we thought (an earlier try did land): ask and go on.
      if (!(error instanceof HubRequestError) || error.hubCode !== 'chunk-out-of-order') throw error;
      status = await client.call(uploadStatusSchema, 'GET', hubPaths.upload(status.uploadId));
      received = status.receivedBytes;
    }
    onProgress?.({ uploadId: status.uploadId, sentBytes: received, totalBytes: status.bytes });
  }
  const envelope = envelopeFor(taskId, update);
  const submission = await client.call(submissionViewSchema, 'POST', hubPaths.complete(status.uploadId), {
    envelope,
    envelopeSignature: signEnvelope(envelope, signingKey),
  });
  const upload = await client.call(uploadStatusSchema, 'GET', hubPaths.upload(status.uploadId));
  return { upload, submission };
}
