// A received instance, written to quarantine as it arrives. The data set is kept exactly as the sender
// encoded it (the P-DATA fragments, PS3.8 9.3.5), behind a file meta header built from the C-STORE
// command and the accepted transfer syntax (PS3.10 7.1): nothing is decoded or re-encoded, so pixel
// data lands byte for byte. The file is written as `<uuid>.dcm.part`, flushed (fsync), checked, then
// renamed to `<uuid>.dcm` (and the folder flushed) before the instance is acknowledged: after a
// crash, a `.dcm` was acknowledged and a `.part` never was.
//
// A disk error does not break the association: the rest of the instance is read and dropped, and
// the sender is told it was not stored (Out of Resources). Nothing here throws into the DIMSE library.
import { randomUUID } from 'node:crypto';
import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import { buildFileMeta, transferSyntaxOf, writeDicom } from '../dicom/index.ts';

/** The preamble, "DICM" and file meta group for a data set received over the network. */
export function part10Header(params: {
  sopClassUid: string;
  sopInstanceUid: string;
  transferSyntaxUid: string;
}): Buffer {
  // Written with an empty data set; a deflated syntax must not deflate that empty set here, as the
  // received bytes that follow are already deflated.
  const transferSyntax = { ...transferSyntaxOf(params.transferSyntaxUid), deflated: false };
  const chunks = writeDicom({
    meta: buildFileMeta(params),
    dataset: new Map(),
    transferSyntax,
    hadPreamble: true,
  });
  return Buffer.concat(chunks);
}

export interface ReceivedFileOptions {
  /** Bytes of data set accepted before the rest is dropped (the instance is then refused). */
  maxBytes: number;
  /** Buffered bytes past which `write` asks the caller to pause the socket. */
  highWaterMark: number;
}

export type ReceivedFileProblem = 'too-large' | 'disk-error' | 'incomplete';

/**
 * A Writable the DIMSE library streams one instance's data set into. Await `completed()` after the
 * library ends it: it resolves once the file is complete and flushed, or with the problem that
 * kept it from being stored (the partial file is then already deleted).
 */
export class ReceivedFile extends Writable {
  readonly name = `${randomUUID()}.dcm`;
  /** Where the file will be once committed. */
  readonly path: string;
  /** Where it is written until then. */
  readonly partPath: string;
  readonly #header: Buffer;
  readonly #maxBytes: number;
  #handle: FileHandle | null = null;
  #bytes = 0;
  #problem: ReceivedFileProblem | null = null;
  #problemCode: string | null = null;
  #finished = false;
  readonly #done: Promise<void>;

  constructor(folder: string, header: Buffer, options: ReceivedFileOptions) {
    super({ highWaterMark: options.highWaterMark });
    this.path = join(folder, this.name);
    this.partPath = `${this.path}.part`;
    this.#header = header;
    this.#maxBytes = options.maxBytes;
    this.#done = new Promise((resolve) => {
      this.once('finish', () => {
        this.#finished = true;
        resolve();
      });
      this.once('close', resolve);
    });
    // Errors are turned into `problem` below; this keeps an unexpected one from crashing the process.
    this.on('error', () => undefined);
  }

  /** Bytes of data set received so far. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Why the instance cannot be stored, or null. Final once `completed()` has resolved. */
  get problem(): ReceivedFileProblem | null {
    return this.#problem;
  }

  /** A short, PHI-free code of the disk error, if there was one. */
  get problemCode(): string | null {
    return this.#problemCode;
  }

  /** Resolves when the file is flushed (or given up on); never rejects. */
  async completed(): Promise<ReceivedFileProblem | null> {
    await this.#done;
    // Destroyed before the library ended it: the association went away mid-instance.
    if (!this.#finished && this.#problem === null) this.#problem = 'incomplete';
    if (this.#problem !== null) await this.discard();
    return this.#problem;
  }

  /** Deletes the unfinished file (an abort, a refusal). */
  async discard(): Promise<void> {
    if (!this.destroyed && !this.#finished) this.destroy();
    await this.#done; // after the library's last write, or after _destroy closed the file
    await this.#close();
    await unlink(this.partPath).catch(() => undefined);
  }

  /** Gives the complete, flushed file its final name, durably: the instance may now be acknowledged. */
  async commit(): Promise<void> {
    await rename(this.partPath, this.path);
    const folder = await open(dirname(this.path), 'r');
    try {
      await folder.sync();
    } finally {
      await folder.close();
    }
  }

  /** `write`, plus a `backpressure` event when the caller should stop reading the socket for a while. */
  override write(chunk: unknown, ...rest: unknown[]): boolean {
    const ok = (super.write as (chunk: unknown, ...rest: unknown[]) => boolean)(chunk, ...rest);
    if (!ok) this.emit('backpressure');
    return ok;
  }

  override _construct(callback: (error?: Error | null) => void): void {
    open(this.partPath, 'wx', 0o600)
      .then(async (handle) => {
        this.#handle = handle;
        await handle.write(this.#header);
      })
      .catch((error: unknown) => this.#fail('disk-error', error))
      .finally(() => callback());
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.#bytes += chunk.length;
    if (this.#problem === null && this.#bytes > this.#maxBytes) this.#problem = 'too-large';
    if (this.#problem !== null || this.#handle === null) {
      callback(); // keep reading the sender's data, and drop it
      return;
    }
    this.#handle
      .write(chunk)
      .catch((error: unknown) => this.#fail('disk-error', error))
      .finally(() => callback());
  }

  override _final(callback: (error?: Error | null) => void): void {
    const handle = this.#handle;
    const flush = this.#problem === null && handle !== null ? handle.sync() : Promise.resolve();
    // Cannot reject: the flush's error is recorded as the problem, and #close swallows close errors.
    void flush
      .catch((error: unknown) => this.#fail('disk-error', error))
      .then(() => this.#close())
      .finally(() => callback());
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    void this.#close().finally(() => callback(error)); // #close never rejects
  }

  #fail(problem: ReceivedFileProblem, error: unknown): void {
    if (this.#problem !== null) return;
    this.#problem = problem;
    const code = (error as { code?: unknown } | null)?.code;
    this.#problemCode = typeof code === 'string' && /^[A-Z0-9_]{1,20}$/.test(code) ? code : 'EIO';
  }

  async #close(): Promise<void> {
    const handle = this.#handle;
    this.#handle = null;
    await handle?.close().catch(() => undefined);
  }
}
