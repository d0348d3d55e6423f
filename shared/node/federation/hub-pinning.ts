// First contact with a hub: the site does not know the hub's CA yet, only its fingerprint (from the
// enrollment token). It opens one TLS connection without trusting anything, looks through the
// certificate chain the server sends for a certificate with that fingerprint, and keeps it as the only
// CA for every later connection; those then check the chain and the host name as usual.
import { X509Certificate } from 'node:crypto';
import { connect, type PeerCertificate, type DetailedPeerCertificate } from 'node:tls';
import { isIP } from 'node:net';
import { FederationError } from '../../federation/index.ts';
import { describeConnectionError } from './hub-http.ts';
import { fingerprint } from './keys.ts';

export function certificateFingerprint(pemOrDer: string | Uint8Array): string {
  return fingerprint(new X509Certificate(pemOrDer).raw);
}

export async function fetchPinnedHubCa(
  hubUrl: string,
  caFingerprint: string,
  options: { timeoutMs?: number } = {},
): Promise<string> {
  const url = new URL(hubUrl);
  const port = Number(url.port || 443);
  const chain = await new Promise<DetailedPeerCertificate>((resolve, reject) => {
    const socket = connect({
      host: url.hostname,
      port,
      ...(isIP(url.hostname) ? {} : { servername: url.hostname }),
      // Nothing is trusted on this one connection: what it returns is accepted only if it matches the pin.
      rejectUnauthorized: false,
      timeout: options.timeoutMs ?? 30_000,
    });
    socket.once('secureConnect', () => {
      const peer = socket.getPeerCertificate(true);
      socket.end();
      resolve(peer);
    });
    socket.once('timeout', () =>
      socket.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })),
    );
    socket.once('error', (error) => reject(describeConnectionError(error, url)));
  });
  const seen: string[] = [];
  let current: PeerCertificate | undefined = chain;
  for (let depth = 0; current && current.raw && depth < 8; depth += 1) {
    const certificate = new X509Certificate(current.raw);
    const print = fingerprint(certificate.raw);
    seen.push(print);
    if (print === caFingerprint) return certificate.toString();
    const next: PeerCertificate | undefined = (current as DetailedPeerCertificate).issuerCertificate;
    if (!next || next === current || next.raw?.equals(current.raw)) break;
    current = next;
  }
  throw new FederationError(
    'pin-mismatch',
    `The server at ${url.host} is not the hub your token was made for: none of its certificates has the fingerprint ` +
      `${caFingerprint.slice(0, 8)}… (it sent ${seen.map((item) => `${item.slice(0, 8)}…`).join(', ') || 'none'}). ` +
      'Check the address with the coordinator; if HTTPS goes through an inspecting proxy, ask IT to exempt the hub.',
  );
}
