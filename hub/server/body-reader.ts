// Reads one request body into one Buffer, the size it declared (Content-Length) or at most the
// route's limit (chunked), copying each piece in as it arrives: no list of pieces concatenated at the
// end, so a body never takes twice its size. A sender that stops sending, or sends too slowly to
// finish in reasonable time, is cut off: a body in flight holds room others may be waiting for.
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

export function readBody(
  stream: Readable,
  size: { declared: number | undefined; limit: number },
  timeouts: BodyTimeouts = DEFAULT_BODY_TIMEOUTS,
): Promise<Buffer> {
  const capacity = size.declared ?? size.limit;
  // Pages of a large unsafe allocation are not resident until written, so reserving the limit for a
  // chunked body costs only what arrives.
  const buffer = Buffer.allocUnsafe(capacity);
  const deadlineMs = timeouts.graceMs + (capacity / timeouts.minBytesPerSecond) * 1000;
  let received = 0;
  return new Promise((resolve, reject) => {
    const finish = (error: Error | undefined) => {
      clearTimeout(idle);
      clearTimeout(deadline);
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', onError);
      stream.off('close', onClose);
      if (error) {
        stream.pause();
        reject(error);
        return;
      }
      // A chunked body far smaller than the limit is copied out, so the large allocation can go.
      resolve(
        size.declared === undefined && received < capacity / 2
          ? Buffer.from(buffer.subarray(0, received))
          : buffer.subarray(0, received),
      );
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
      piece.copy(buffer, received);
      received += piece.length;
      idle.refresh();
    };
    const onEnd = () =>
      finish(
        size.declared !== undefined && received !== size.declared
          ? new HubError('bad-length', 400, 'The request body is shorter than its Content-Length.')
          : undefined,
      );
    const onError = (error: Error) => finish(error);
    const onClose = () => finish(new Error('The connection closed before the request body was complete.'));
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
