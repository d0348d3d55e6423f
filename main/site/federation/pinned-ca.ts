// First contact through a proxy. shared/federation's fetchPinnedHubCa dials the hub directly; behind
// a proxy the same check (find the certificate with the token's fingerprint in the chain the server
// sends) has to run over the proxy's tunnel, which is what this adds. Without a proxy it defers to it.
import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { connect, type DetailedPeerCertificate, type PeerCertificate } from 'node:tls';
import {
  certificateFingerprint,
  describeConnectionError,
  fetchPinnedHubCa,
} from '../../../shared/node/federation/index.ts';
import { FederationError } from '../../../shared/federation/index.ts';
import { openTunnel, type ProxySettings } from './proxy-tunnel.ts';

export async function fetchPinnedCa(
  hubUrl: string,
  caFingerprint: string,
  proxy: ProxySettings | null,
): Promise<string> {
  if (!proxy) return fetchPinnedHubCa(hubUrl, caFingerprint);
  const url = new URL(hubUrl);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  let peer: DetailedPeerCertificate;
  try {
    const raw = await openTunnel(proxy, host, Number(url.port || 443));
    peer = await new Promise<DetailedPeerCertificate>((resolve, reject) => {
      // Nothing is trusted on this one connection: what it returns is accepted only if it matches the pin.
      const socket = connect({
        socket: raw,
        ...(isIP(host) ? {} : { servername: host }),
        rejectUnauthorized: false,
      });
      socket.once('secureConnect', () => {
        const chain = socket.getPeerCertificate(true);
        socket.end();
        resolve(chain);
      });
      socket.once('error', reject);
    });
  } catch (error) {
    throw describeConnectionError(error as Error & { code?: string }, url);
  }
  const seen: string[] = [];
  let current: PeerCertificate | undefined = peer;
  for (let depth = 0; current?.raw && depth < 8; depth += 1) {
    const print = certificateFingerprint(current.raw);
    seen.push(print.slice(0, 8));
    if (print === caFingerprint) return new X509Certificate(current.raw).toString();
    const next: PeerCertificate | undefined = (current as DetailedPeerCertificate).issuerCertificate;
    if (!next || next === current || next.raw?.equals(current.raw)) break;
    current = next;
  }
  throw new FederationError(
    'pin-mismatch',
    `The server reached through the proxy at ${proxy.url.host} is not the hub your token was made for: none of its ` +
      `certificates has the fingerprint ${caFingerprint.slice(0, 8)}… (it sent ${seen.join('…, ') || 'none'}…). ` +
      'The proxy probably inspects HTTPS: ask IT to exempt the hub, or check the address with the coordinator.',
  );
}
