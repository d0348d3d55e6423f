// The HTTPS server under a member's peer server (peer-server.ts) and the relay (relay/relay-server.ts):
// mutual TLS 1.3, where the server asks every caller for its certificate and takes it whatever signed
// it, because callers are known by the Ed25519 key the certificate carries (checked against a ledger by
// the request handler), not by a certificate authority: members' certificates are self-signed.
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { PeerCertificate } from './peer-certificate.ts';

export interface MutualTlsLimits {
  /** How long a request may take from its first byte to its answer. */
  readonly requestTimeoutMs: number;
  /** Connections past this many are refused at the door; no bound when absent. */
  readonly maxConnections?: number;
}

export class MutualTlsServer {
  readonly #server: Server;

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
      },
      // The handler answers every failure itself (a refusal in JSON), so it does not reject.
      (req, res) => void serve(req, res),
    );
    this.#server.headersTimeout = 30_000;
    this.#server.requestTimeout = limits.requestTimeoutMs;
    if (limits.maxConnections !== undefined) this.#server.maxConnections = limits.maxConnections;
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
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
