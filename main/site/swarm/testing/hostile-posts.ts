// POSTs a hostile caller makes to a member's peer server or to the relay, over real mutual TLS: a body
// of a chosen size (declared, or chunked without a length), and a slow drip (a length declared, 1 KiB
// sent, then nothing). For the bounds specs of peer-server.ts and relay/relay-server.ts.
import type { ClientRequest, OutgoingHttpHeaders } from 'node:http';
import { request } from 'node:https';
import type { PeerCertificate } from '../peer-certificate.ts';

export interface Posted {
  /** The answer's HTTP status; 0 when the server closed the connection while the body was going out. */
  readonly status: number;
  readonly retryAfter?: string;
  /** The refusal's sentence (`message` of its JSON), or the answer's text. */
  readonly message: string;
}

/** `https://host:port` of a member's address or a relay's (`relay+https://…/<fingerprint>`). */
function serverOf(address: string): URL {
  return new URL(address.replace(/^relay\+https:\/\//, 'https://'));
}

function answerOf(status: number, retryAfter: string | string[] | undefined, text: string): Posted {
  let message = text;
  try {
    message = (JSON.parse(text) as { message?: string }).message ?? text;
  } catch {
    // a sealed answer, not JSON
  }
  return { status, ...(retryAfter ? { retryAfter: String(retryAfter) } : {}), message };
}

/**
 * Starts a POST to `path` over mutual TLS (no certificate offered when `certificate` is null, and the
 * server's not checked: the caller is hostile); `answered` gets the server's answer when it comes.
 */
function startPost(
  address: string,
  certificate: PeerCertificate | null,
  path: string,
  headers: OutgoingHttpHeaders,
  answered: (posted: Posted) => void,
): ClientRequest {
  const url = serverOf(address);
  return request(
    {
      host: url.hostname,
      port: Number(url.port),
      method: 'POST',
      path,
      rejectUnauthorized: false,
      agent: false,
      ...(certificate ? { cert: certificate.certPem, key: certificate.keyPem } : {}),
      headers,
    },
    (res) => {
      const parts: Buffer[] = [];
      res.on('data', (part: Buffer) => parts.push(part));
      res.on('end', () =>
        answered(
          answerOf(res.statusCode ?? 0, res.headers['retry-after'], Buffer.concat(parts).toString('utf8')),
        ),
      );
    },
  );
}

/** One POST of `size` bytes of base64url-looking text to `path`, with or without a declared length. */
export function postBody(
  address: string,
  certificate: PeerCertificate | null,
  path: string,
  size: number,
  chunked = false,
): Promise<Posted> {
  const chunk = Buffer.alloc(Math.min(size, 256 * 1024), 'A');
  return new Promise((resolve) => {
    const req = startPost(address, certificate, path, chunked ? {} : { 'content-length': size }, resolve);
    // A server that refuses may close the connection while the body is still going out.
    req.on('error', () => resolve({ status: 0, message: 'connection closed while sending' }));
    void (async () => {
      for (let sent = 0; sent < size && !req.destroyed; sent += chunk.length) {
        if (!req.write(chunk.subarray(0, Math.min(chunk.length, size - sent))))
          await new Promise((resume) => req.once('drain', resume));
      }
      req.end();
    })();
  });
}

/**
 * A POST that declares `declared` bytes, sends 1 KiB of them and then nothing (a slow drip):
 * `answered` resolves if the server refuses it; `stop` ends it.
 */
export function dripBody(
  address: string,
  certificate: PeerCertificate,
  path: string,
  declared: number,
): { answered: Promise<Posted>; stop: () => void } {
  let stop = () => undefined as void;
  const answered = new Promise<Posted>((resolve) => {
    const req = startPost(address, certificate, path, { 'content-length': declared }, resolve);
    req.on('error', () => undefined);
    req.write(Buffer.alloc(1024, 'A'));
    stop = () => req.destroy();
  });
  return { answered, stop };
}
