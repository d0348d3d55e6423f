// Global models on the site's disk: downloaded in byte ranges into a .part file that survives a
// dropped connection or a restart, checked against the hub's signature and hash, then kept as
// D/federation/tasks/<task>/models/v<N>.rfw for training and evaluation.
import {
  existsSync,
  mkdirSync,
  openSync,
  closeSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { decodeWeights, type ModelMeta, type NamedTensor } from '../../../shared/federation/index.ts';
import { verifyGlobalModel, type HubClient } from '../../../shared/node/federation/index.ts';

export interface CachedModel {
  readonly meta: ModelMeta;
  readonly weights: NamedTensor[];
  /** Bytes fetched from the hub for this call (0 when it was on disk). */
  readonly downloadedBytes: number;
}

export async function fetchGlobalModel(
  client: HubClient,
  taskId: string,
  version: number,
  folder: string,
  options: { chunkBytes?: number; onProgress?: (received: number, total: number) => void } = {},
): Promise<CachedModel> {
  const fetched = await fetchModelBytes(client, taskId, version, folder, options);
  try {
    return {
      meta: fetched.meta,
      weights: decodeWeights(fetched.bytes),
      downloadedBytes: fetched.downloadedBytes,
    };
  } catch (error) {
    rmSync(join(folder, `v${fetched.meta.version}.rfw`), { force: true }); // fetch it again next time
    throw error;
  }
}

/**
 * A published model version's bytes, checked against the hub's signature and hash (a homomorphic
 * task's versions after the first are encrypted sums, which only the sites decode).
 */
export async function fetchModelBytes(
  client: HubClient,
  taskId: string,
  version: number,
  folder: string,
  options: { chunkBytes?: number; onProgress?: (received: number, total: number) => void } = {},
): Promise<{ meta: ModelMeta; bytes: Buffer; downloadedBytes: number }> {
  mkdirSync(folder, { recursive: true });
  const meta = await client.getModelMeta(taskId, version);
  const done = join(folder, `v${meta.version}.rfw`);
  if (existsSync(done)) {
    const bytes = readFileSync(done);
    try {
      verifyGlobalModel(meta, client.hub.signingPublicKey, bytes);
      return { meta, bytes, downloadedBytes: 0 };
    } catch {
      rmSync(done, { force: true }); // damaged on disk: fetch it again
    }
  }
  // The part file is named by the hash the hub signed, so bytes of another model are never mixed in.
  const part = join(folder, `v${meta.version}-${meta.sha256.slice(0, 16)}.part`);
  let received = existsSync(part) ? statSync(part).size : 0;
  if (received > meta.bytes) {
    rmSync(part);
    received = 0;
  }
  const chunkBytes = options.chunkBytes ?? 4 * 1024 * 1024;
  let downloaded = 0;
  while (received < meta.bytes) {
    const end = Math.min(meta.bytes, received + chunkBytes) - 1;
    const chunk = await client.modelBlobRange(taskId, meta.version, received, end);
    if (chunk.byteLength === 0) break;
    const fd = openSync(part, received === 0 ? 'w' : 'r+');
    try {
      writeSync(fd, chunk, 0, chunk.byteLength, received);
    } finally {
      closeSync(fd);
    }
    received += chunk.byteLength;
    downloaded += chunk.byteLength;
    options.onProgress?.(received, meta.bytes);
  }
  const bytes = readFileSync(part);
  try {
    verifyGlobalModel(meta, client.hub.signingPublicKey, bytes);
  } catch (error) {
    rmSync(part, { force: true }); // start afresh next time rather than resume bad bytes
    throw error;
  }
  renameSync(part, done);
  return { meta, bytes, downloadedBytes: downloaded };
}
