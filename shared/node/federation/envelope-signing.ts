// A site signs the envelope of each upload (what it sent, for which task and round, and how many
// examples stand behind it), so the hub keeps proof of who stated what beside the stored update.
import { type KeyObject, sign, verify } from 'node:crypto';
import { canonicalJson, type UpdateEnvelope } from '../../federation/index.ts';

function envelopeBytes(envelope: UpdateEnvelope): Buffer {
  return Buffer.from(`RADFED-ENVELOPE-V1\n${canonicalJson(envelope)}`);
}

export function signEnvelope(envelope: UpdateEnvelope, sitePrivateKey: KeyObject): string {
  return sign(null, envelopeBytes(envelope), sitePrivateKey).toString('base64url');
}

export function verifyEnvelope(
  envelope: UpdateEnvelope,
  signature: string,
  sitePublicKey: KeyObject,
): boolean {
  try {
    return verify(null, envelopeBytes(envelope), sitePublicKey, Buffer.from(signature, 'base64url'));
  } catch {
    return false;
  }
}
