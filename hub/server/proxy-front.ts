// Gives the hub each client's own address when it runs behind a TCP-mode load balancer. The hub's TLS
// is pinned end to end, so HAProxy cannot terminate it and add X-Forwarded-For: every connection reaches
// a replica from the balancer's address, and per-address accounting (the dashboard's sign-in limit) would
// count every coordinator as one. With `send-proxy-v2`, HAProxy writes the client's address in a short
// binary header before the TLS handshake; this reads it, ahead of the TLS server, and makes that address
// the connection's remoteAddress, which request.ip, the limiter and the request log all read.
//
// Trust is by the connecting address only: from an address the operator named, the header is required
// (without one the connection is closed); from any other address a header is refused (closed), so nobody
// can name an address of their choosing; other clients still connect straight to the replica.
import type { Server as HttpsServer } from 'node:https';
import { isIP, type Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import {
  looksLikeProxyHeader,
  PROXY_FIXED_BYTES,
  PROXY_MAX_BLOCK_BYTES,
  readProxyHeader,
  type ProxiedClient,
} from './proxy-header.ts';

export interface ProxyFrontOptions {
  /** The balancers' addresses: only these may, and must, send the header. */
  readonly from: readonly string[];
  /** How long a connection may take to send its first bytes or its whole header (default 5 s). */
  readonly headerTimeoutMs?: number;
  readonly logger?: Logger | false;
}

export interface ProxyFront {
  /** Closes connections still being read (the TLS server knows nothing of them yet). */
  close(): void;
}

type ConnectionListener = (socket: Socket) => void;

/** IPv4 clients of a dual-stack listener appear as ::ffff:a.b.c.d; both spellings name one balancer. */
export function plainAddress(address: string | undefined): string {
  const text = (address ?? '').toLowerCase();
  return text.startsWith('::ffff:') && isIP(text.slice(7)) === 4 ? text.slice(7) : text;
}

/** Checks the operator's list: IP addresses only (a name could resolve differently tomorrow). */
export function checkProxyAddresses(addresses: readonly string[]): string[] {
  const wrong = addresses.filter((address) => isIP(address) === 0);
  if (wrong.length > 0 || addresses.length === 0) {
    throw new Error(
      `The load balancer addresses must be IP addresses, comma separated (e.g. 127.0.0.1,10.0.0.5)` +
        (wrong.length > 0 ? `; not: ${wrong.join(', ')}` : '') +
        '. Name the addresses your HAProxy connects to the replicas from.',
    );
  }
  return addresses.map(plainAddress);
}

/**
 * Puts the header reader in front of the HTTPS server's own connection handling. Call once every route
 * is registered and before the server listens.
 */
export function acceptProxyHeaders(server: HttpsServer, options: ProxyFrontOptions): ProxyFront {
  const balancers = new Set(checkProxyAddresses(options.from));
  const timeoutMs = options.headerTimeoutMs ?? 5000;
  const logger = options.logger || undefined;
  const tlsListeners = server.listeners('connection') as ConnectionListener[];
  server.removeAllListeners('connection');
  const clients = new WeakMap<Socket, ProxiedClient>();
  const pending = new Set<Socket>();

  // The TLS server wraps the raw socket in a TLSSocket whose address comes from the kernel: the client's
  // address is set on that TLSSocket before the HTTP server reads its first request. Node links the two
  // by `_parent` (not in its typings); without that link a proxied connection is closed, never served
  // under the balancer's address.
  server.prependListener('secureConnection', (tlsSocket: TLSSocket) => {
    const raw = (tlsSocket as TLSSocket & { _parent?: unknown })._parent;
    if (raw === undefined || raw === null || typeof raw !== 'object') {
      tlsSocket.destroy();
      return;
    }
    const client = clients.get(raw as Socket);
    if (!client) return;
    Object.defineProperties(tlsSocket, {
      remoteAddress: { value: client.address, configurable: true },
      remotePort: { value: client.port, configurable: true },
      remoteFamily: { value: client.family, configurable: true },
    });
  });

  server.on('connection', (socket: Socket) => {
    const fromBalancer = balancers.has(plainAddress(socket.remoteAddress));
    let received = Buffer.alloc(0);
    pending.add(socket);
    const finish = (): void => {
      clearTimeout(timer);
      pending.delete(socket);
      socket.removeListener('readable', onReadable);
      socket.removeListener('error', onError);
      socket.removeListener('end', onEnd);
    };
    const refuse = (reason: string): void => {
      finish();
      // The peer's address is a balancer's or an unknown machine's, never a patient's.
      if (logger) logger.warn({ peer: socket.remoteAddress }, `connection closed: ${reason}`);
      socket.destroy();
    };
    const handOver = (rest: Buffer): void => {
      finish();
      if (rest.length > 0) socket.unshift(rest);
      for (const listener of tlsListeners) listener.call(server, socket);
    };
    const onReadable = (): void => {
      let chunk: Buffer | null;
      while ((chunk = socket.read() as Buffer | null) !== null) received = Buffer.concat([received, chunk]);
      if (received.length === 0) return;
      if (!fromBalancer) {
        if (looksLikeProxyHeader(received)) refuse('a PROXY header from an address not named as a balancer');
        else handOver(received);
        return;
      }
      const reading = readProxyHeader(received.subarray(0, PROXY_FIXED_BYTES + PROXY_MAX_BLOCK_BYTES));
      if (reading.state === 'incomplete') return;
      if (reading.state === 'refused') return refuse(reading.reason);
      if (reading.client) clients.set(socket, reading.client);
      handOver(received.subarray(reading.length));
    };
    const onError = (): void => refuse('the connection failed before its first request');
    const onEnd = (): void => refuse('the connection ended before its first request');
    const timer = setTimeout(() => refuse('no PROXY header or TLS handshake in time'), timeoutMs);
    timer.unref();
    socket.on('readable', onReadable);
    socket.on('error', onError);
    socket.on('end', onEnd);
  });

  return {
    close() {
      for (const socket of pending) socket.destroy();
      pending.clear();
    },
  };
}
