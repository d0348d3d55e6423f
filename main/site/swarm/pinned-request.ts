// One HTTPS request over its own TLS connection, with this member's certificate (mutual TLS), to a
// server whose certificate must carry a pinned key. The key is checked as soon as the handshake ends,
// before a byte of the request is written, so a message meant for a member (or a relay) never reaches
// a server that is not it. Trust comes from the pin, not from a certificate authority. The one home of
// this code for the peer client (peer-client.ts) and a member's link to a relay (relay/relay-link.ts).
import { request as httpRequest } from 'node:http';
import { isIP } from 'node:net';
import { connect, type TLSSocket } from 'node:tls';
import { peerKeyOf, type PeerCertificate } from './peer-certificate.ts';
import { SwarmError } from './swarm-error.ts';

export interface PinnedAnswer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Buffer;
}

export interface PinnedServer {
  /** The server's address (`https://host:port/…`); only its host and port are used. */
  readonly url: URL;
  /** True when the key (PEM) that the server's certificate carries is the one pinned. */
  readonly isPinned: (key: string) => boolean;
  /** How errors name the server, e.g. `member ab12cd34 at host:port` or `the relay at host:port`. */
  readonly who: string;
  /** The sentence when the certificate does not carry the pinned key (says what to check). */
  readonly notPinned: string;
}

export interface PinnedRequestOptions {
  readonly certificate: PeerCertificate;
  readonly timeoutMs: number;
  /** An answer larger than this is refused (the connection is closed); no limit when absent. */
  readonly maxAnswerBytes?: number;
  /** Where the bytes sent and received are counted. */
  readonly counters?: { bytesOut: number; bytesIn: number };
}

export function pinnedRequest(
  server: PinnedServer,
  request: {
    readonly method: string;
    readonly path: string;
    readonly body?: Buffer;
    readonly contentType?: string;
  },
  options: PinnedRequestOptions,
): Promise<PinnedAnswer> {
  const { url, who } = server;
  const { body } = request;
  const timeout = options.timeoutMs;
  return new Promise((resolve, reject) => {
    const socket: TLSSocket = connect({
      host: url.hostname,
      port: Number(url.port || 443),
      ...(isIP(url.hostname) ? {} : { servername: url.hostname }),
      cert: options.certificate.certPem,
      key: options.certificate.keyPem,
      // Trust comes from the pinned key, checked on secureConnect, not from a certificate authority.
      rejectUnauthorized: false,
      minVersion: 'TLSv1.3',
      timeout,
    });
    const fail = (code: 'peer-unreachable' | 'not-member', message: string, cause?: unknown) => {
      socket.destroy();
      reject(new SwarmError(code, message, cause === undefined ? {} : { cause }));
    };
    socket.once('timeout', () =>
      fail('peer-unreachable', `No answer from ${who} within ${timeout / 1000} s.`),
    );
    socket.once('error', (error) =>
      fail(
        'peer-unreachable',
        `Cannot reach ${who}: check that it is running and that the port is open.`,
        error,
      ),
    );
    socket.once('secureConnect', () => {
      const key = peerKeyOf(socket.getPeerX509Certificate());
      if (key === null || !server.isPinned(key)) {
        fail('not-member', server.notPinned);
        return;
      }
      const req = httpRequest(
        {
          method: request.method,
          path: request.path,
          host: url.hostname,
          createConnection: () => socket,
          headers: body
            ? { 'content-type': request.contentType ?? 'application/json', 'content-length': body.length }
            : {},
        },
        (res) => {
          const parts: Buffer[] = [];
          let size = 0;
          res.on('data', (part: Buffer) => {
            size += part.length;
            if (options.maxAnswerBytes !== undefined && size > options.maxAnswerBytes)
              fail('peer-unreachable', `${capitalised(who)} sent a larger answer than a member reads.`);
            else parts.push(part);
          });
          res.on('error', (error) => fail('peer-unreachable', `The answer from ${who} broke off.`, error));
          res.on('end', () => {
            const received = Buffer.concat(parts);
            if (options.counters) options.counters.bytesIn += received.length;
            socket.end();
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: received });
          });
        },
      );
      req.on('error', (error) => fail('peer-unreachable', `The request to ${who} failed.`, error));
      if (body && options.counters) options.counters.bytesOut += body.length;
      req.end(body);
    });
  });
}

function capitalised(words: string): string {
  return words.charAt(0).toUpperCase() + words.slice(1);
}
