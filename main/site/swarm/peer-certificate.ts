// A member's TLS certificate for the peer network is made from its swarm signing key (Ed25519), self
// signed. So the ledger already pins it: a peer is who the ledger says when the public key of the
// certificate it presents is a member's signing key. No certificate authority, no fingerprint field in
// the member card, and a key rotation in the ledger re-pins every peer at once. TLS 1.3 signs with
// Ed25519 (RFC 8446 4.2.3); @peculiar/x509 (already used by the hub's CA) writes the certificate.
import 'reflect-metadata'; // @peculiar/x509's dependency injection (tsyringe) needs it loaded first
import * as x509 from '@peculiar/x509';
import { createPublicKey, randomBytes, webcrypto, type KeyObject, type X509Certificate } from 'node:crypto';
import { rawPublicKey } from '../../../shared/node/federation/index.ts';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const ED25519 = { name: 'Ed25519' } as const;
const DAY_MS = 86_400_000;

export interface PeerCertificate {
  readonly certPem: string;
  readonly keyPem: string;
}

/** A self-signed certificate for `signingKey` (the member's Ed25519 private key). */
export async function makePeerCertificate(
  signingKey: KeyObject,
  options: { readonly name: string; readonly now?: Date },
): Promise<PeerCertificate> {
  const now = options.now ?? new Date();
  const subtle = webcrypto.subtle;
  const privateKey = await subtle.importKey(
    'pkcs8',
    signingKey.export({ type: 'pkcs8', format: 'der' }),
    ED25519,
    false,
    ['sign'],
  );
  const publicKey = await subtle.importKey(
    'spki',
    createPublicKey(signingKey).export({ type: 'spki', format: 'der' }),
    ED25519,
    true,
    ['verify'],
  );
  const serial = randomBytes(16);
  serial[0] = (serial[0] as number) & 0x7f; // positive, as RFC 5280 4.1.2.2 requires
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial.toString('hex'),
    name: `CN=${options.name.replace(/([,+"\\<>;=])/g, '\\$1')}, O=RadFed swarm member`,
    // A day back: a peer whose clock is a little behind still accepts it (nothing else rests on time).
    notBefore: new Date(now.getTime() - DAY_MS),
    notAfter: new Date(now.getTime() + 3650 * DAY_MS),
    keys: { privateKey, publicKey },
    signingAlgorithm: ED25519,
  });
  return {
    certPem: certificate.toString('pem'),
    keyPem: signingKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}

/** The Ed25519 key (base64url raw) a peer's certificate carries, or null when it is not Ed25519. */
export function peerKeyOf(certificate: X509Certificate | undefined): string | null {
  if (certificate === undefined) return null;
  if (certificate.publicKey.asymmetricKeyType !== 'ed25519') return null;
  return rawPublicKey(certificate.publicKey);
}
