// Reads one request body into a given buffer (see body-slabs.ts), at most the size it declared
// (Content-Length) or the route's limit (chunked), hashing it as it arrives for the signature check:
// no list of pieces concatenated at the end. A sender that stops sending, or sends too slowly to
// finish in reasonable time, is cut off: a body in flight holds room others may be waiting for.
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { HubError, tooLarge } from '../hub-errors.ts';

export interface BodyTimeouts {
  /** Longest pause between two pieces of a body. */
  readonly idleMs: number;
  /** After this, a body must have arrived at minBytesPerSecond on average. */
  readonly graceMs: number;
  readonly minBytesPerSecond: number;
}

export const DEFAULT_BODY_TIMEOUTS: BodyTimeouts = {
  idleMs: 30_000,
  graceMs: 30_000,
  minBytesPerSecond: 64 * 1024,
};

export function bodyTooLarge(limit: number): HubError {
  return tooLarge(
    'too-large',
    `The request body is larger than this hub accepts here (${limit} bytes at most); large updates go in chunks.`,
  );
}

/** The body's length and its SHA-256 (hex). */
export interface BodyRead {
  readonly length: number;
  readonly sha256: string;
}

/** Where the pieces go: copied into memory, or written to a file (then the stream waits for it). */
export type BodySink = (piece: Buffer, offset: number) => void | Promise<void>;

/** Reads the body into `target` (which must hold the declared size, or the limit when chunked). */
export function readBodyInto(
  stream: Readable,
  target: Buffer,
  size: { declared: number | undefined; limit: number },
  timeouts: BodyTimeouts = DEFAULT_BODY_TIMEOUTS,
): Promise<BodyRead> {
  return receiveBody(stream, size, (piece, offset) => void piece.copy(target, offset), timeouts);
}

export function receiveBody(
  stream: Readable,
  size: { declared: number | undefined; limit: number },
  sink: BodySink,
  timeouts: BodyTimeouts = DEFAULT_BODY_TIMEOUTS,
): Promise<BodyRead> {
  const capacity = size.declared ?? size.limit;
  const hash = createHash('sha256');
  const deadlineMs = timeouts.graceMs + (capacity / timeouts.minBytesPerSecond) * 1000;
  let received = 0;
  let writing: Promise<void> = Promise.resolve();
  let ended = false;
  let settled = false;
  return new Promise<BodyRead>((resolve, reject) => {
    const finish = (error: Error | undefined) => {
      if (settled) return;
      settled = true;
      clearTimeout(idle);
      clearTimeout(deadline);
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', onError);
      stream.off('close', onClose);
      if (error) {
        stream.pause();
        // A write still under way finishes before the caller cleans up after it.
        writing.then(
          () => reject(error),
          () => reject(error),
        );
        return;
      }
      resolve({ length: received, sha256: hash.digest('hex') });
    };
    const onData = (piece: Buffer) => {
      if (received + piece.length > capacity) {
        finish(
          size.declared === undefined
            ? bodyTooLarge(size.limit)
            : new HubError('bad-length', 400, 'The request body is longer than its Content-Length.'),
        );
        return;
      }
      hash.update(piece);
      const written = sink(piece, received);
      received += piece.length;
      idle.refresh();
      if (written) {
        stream.pause();
        writing = written.then(() => {
          if (!settled && !ended) stream.resume();
        });
        writing.catch((error: Error) => finish(error));
      }
    };
    const onEnd = () => {
      ended = true;
      const short = size.declared !== undefined && received !== size.declared;
      writing.then(
        () =>
          finish(
            short
              ? new HubError('bad-length', 400, 'The request body is shorter than its Content-Length.')
              : undefined,
          ),
        (error: Error) => finish(error),
      );
    };
    const onError = (error: Error) => finish(error);
    const onClose = () => {
      if (!ended) finish(new Error('The connection closed before the request body was complete.'));
    };
    const tooSlow = (what: string) => () =>
      finish(
        new HubError(
          'too-slow',
          408,
          `The request body ${what}; it was not processed. Check the network between the site and the hub, and try again.`,
        ),
      );
    const idle = setTimeout(tooSlow(`stopped arriving for ${timeouts.idleMs / 1000} s`), timeouts.idleMs);
    const deadline = setTimeout(
      tooSlow(`arrived slower than ${timeouts.minBytesPerSecond / 1024} KiB/s`),
      deadlineMs,
    );
    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.on('error', onError);
    stream.on('close', onClose);
    stream.resume();
  });
}
