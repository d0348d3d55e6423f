// The HTTPS server under a member's peer server (peer-server.ts) and the relay (relay/relay-server.ts):
// mutual TLS 1.3, where the server asks every caller for its certificate and takes it whatever signed
// it, because callers are known by the Ed25519 key the certificate carries (checked against a ledger by
// the request handler), not by a certificate authority: members' certificates are self-signed.
// Both listen where anyone on the network can open a connection, before any key is checked: a
// handshake left unfinished is closed after `handshakeTimeoutMs` (Node's default is 120 s), and one
// address holds at most `maxConnectionsPerAddress` connections, so one neighbour's flood of half-open
// connections cannot take every place under `maxConnections` from the members.
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { PeerCertificate } from './peer-certificate.ts';

export interface MutualTlsLimits {
  /** How long a request may take from its first byte to its answer. */
  readonly requestTimeoutMs: number;
  /** Connections past this many are refused at the door; no bound when absent. */
  readonly maxConnections?: number;
  /** How long a caller has to finish its TLS handshake (default 10 s). */
  readonly handshakeTimeoutMs?: number;
  /**
   * Connections one remote address may hold at once; past it a new one is closed (default 128: a
   * member sends to every other member at once, and a relay carries that fan-out for a swarm of up to
   * 64 members with its poll beside it).
   */
  readonly maxConnectionsPerAddress?: number;
}

export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000;
export const DEFAULT_MAX_CONNECTIONS_PER_ADDRESS = 128;

export class MutualTlsServer {
  readonly #server: Server;
  /** Open connections per remote address. */
  readonly #perAddress = new Map<string, number>();
  /** Every TCP connection, handshakes not yet done included (closeAllConnections knows only HTTP's). */
  readonly #sockets = new Set<Socket>();

  constructor(
    certificate: PeerCertificate,
    serve: (req: IncomingMessage, res: ServerResponse) => Promise<void>,
    limits: MutualTlsLimits,
  ) {
    this.#server = createServer(
      {
        cert: certificate.certPem,
        key: certificate.keyPem,
        // The caller's key is checked by the handler against the ledger, not against a CA.
        requestCert: true,
        rejectUnauthorized: false,
        minVersion: 'TLSv1.3',
        handshakeTimeout: limits.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS,
      },
      // The handler answers every failure itself (a refusal in JSON), so it does not reject.
      (req, res) => void serve(req, res),
    );
    this.#server.headersTimeout = 30_000;
    this.#server.requestTimeout = limits.requestTimeoutMs;
    if (limits.maxConnections !== undefined) this.#server.maxConnections = limits.maxConnections;
    const perAddress = limits.maxConnectionsPerAddress ?? DEFAULT_MAX_CONNECTIONS_PER_ADDRESS;
    // 'connection' comes with the TCP socket, before its handshake: a flood is cut before it costs TLS.
    this.#server.on('connection', (socket: Socket) => {
      const address = socket.remoteAddress ?? '';
      const open = (this.#perAddress.get(address) ?? 0) + 1;
      this.#perAddress.set(address, open);
      this.#sockets.add(socket);
      socket.once('close', () => {
        this.#sockets.delete(socket);
        const left = (this.#perAddress.get(address) ?? 1) - 1;
        if (left > 0) this.#perAddress.set(address, left);
        else this.#perAddress.delete(address);
      });
      if (open > perAddress) socket.destroy();
    });
    // A handshake that fails or times out: the socket is closed, nothing is logged per stranger.
    this.#server.on('tlsClientError', (_error, socket) => socket.destroy());
  }

  /** Listens on `port` (0: any free one) and returns the port. */
  async listen(port = 0, host = '127.0.0.1'): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(port, host, () => resolve());
    });
    return (this.#server.address() as AddressInfo).port;
  }

  /** Closes every connection, idle or not (a long poll would otherwise hold the close up), and stops. */
  async close(): Promise<void> {
    this.#server.closeAllConnections();
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    for (const socket of this.#sockets) socket.destroy();
    await closed;
  }
}
