// For tests and benchmarks of the hub's edges: one request over its own TLS connection with any
// headers and a body sent whole, chunked (no Content-Length), or stopped part way. It says this
// release's protocol version, as every site does, unless the headers give another. It reports the
// answer, or how the connection ended when the hub closed it without one.
import { randomBytes } from 'node:crypto';
import { request } from 'node:https';
import { PROTOCOL_HEADER, PROTOCOL_VERSION } from '../../../shared/federation/index.ts';
import { SIGNATURE_HEADERS } from '../../../shared/node/federation/index.ts';

export interface RawSend {
  readonly url: string;
  readonly caPem: string;
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body: Buffer;
  /** Send without Content-Length, in pieces (Transfer-Encoding: chunked). */
  readonly chunked?: boolean;
  /** Send only this many bytes of the body, then go quiet (the connection stays open). */
  readonly stopAfter?: number;
  /** Connect from this loopback address (127.0.0.2, …): another machine, as the hub sees it. */
  readonly localAddress?: string;
}

export interface RawAnswer {
  readonly status?: number;
  readonly error?: string;
  readonly code?: string;
  readonly retryAfter?: string;
  /** The network error when the hub closed the connection before (or instead of) an answer. */
  readonly closed?: string;
}

const PIECE = 256 * 1024;

export function sendRaw(send: RawSend): Promise<RawAnswer> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (answer: RawAnswer) => {
      if (settled) return;
      settled = true;
      req.destroy();
      resolve(answer);
    };
    const req = request(
      new URL(send.path, send.url),
      {
        method: send.method,
        ca: send.caPem,
        agent: false,
        ...(send.localAddress ? { localAddress: send.localAddress } : {}),
        headers: {
          [PROTOCOL_HEADER]: String(PROTOCOL_VERSION),
          ...send.headers,
          ...(send.chunked ? {} : { 'content-length': String(send.body.length) }),
        },
      },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (part: Buffer) => parts.push(part));
        res.on('error', () => undefined);
        res.on('end', () => {
          let code: string | undefined;
          try {
            code = (JSON.parse(Buffer.concat(parts).toString('utf8')) as { error?: string }).error;
          } catch {
            code = undefined;
          }
          done({
            status: res.statusCode ?? 0,
            ...(code ? { code } : {}),
            ...(typeof res.headers['retry-after'] === 'string'
              ? { retryAfter: res.headers['retry-after'] }
              : {}),
          });
        });
      },
    );
    req.on('error', (error: NodeJS.ErrnoException) => done({ closed: error.code ?? error.message }));
    const length = Math.min(send.stopAfter ?? send.body.length, send.body.length);
    // Pieces are views of one buffer, so a flood of large bodies costs the sender little memory.
    for (let at = 0; at < length; at += PIECE)
      req.write(send.body.subarray(at, Math.min(length, at + PIECE)));
    if (send.stopAfter === undefined) req.end();
  });
}

/** Signature headers that look right (fresh timestamp, a new nonce) with a signature that is not. */
export function junkSignatureHeaders(siteId: string, timestamp = Date.now()): Record<string, string> {
  return {
    [SIGNATURE_HEADERS.site]: siteId,
    [SIGNATURE_HEADERS.timestamp]: String(Math.round(timestamp)),
    [SIGNATURE_HEADERS.nonce]: randomBytes(16).toString('base64url'),
    [SIGNATURE_HEADERS.signature]: randomBytes(64).toString('base64url'),
  };
}
