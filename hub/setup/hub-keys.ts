// The hub's keys and certificates, loaded once per process, and what the hub tells sites about itself.
import { readFileSync } from 'node:fs';
import type { KeyObject } from 'node:crypto';
import {
  certificateFingerprint,
  loadPrivateKey,
  publicKeyFingerprint,
  publicKeyOf,
} from '../../shared/node/federation/index.ts';
import { PROTOCOL_VERSION, type HubInfo } from '../../shared/federation/index.ts';
import type { HubLayout } from './hub-layout.ts';

export interface HubKeys {
  readonly caCertPem: string;
  readonly caFingerprint: string;
  readonly serverKeyPem: string;
  /** The server certificate followed by the CA's, so a site can find the CA it pinned in the chain. */
  readonly serverChainPem: string;
  readonly signingKey: KeyObject;
  readonly signingPublicKey: string;
  readonly signingKeyFingerprint: string;
  readonly exchangeKey: KeyObject;
  readonly exchangePublicKey: string;
}

export function loadHubKeys(layout: HubLayout): HubKeys {
  const caCertPem = readFileSync(layout.caCert, 'utf8');
  const signingKey = loadPrivateKey(readFileSync(layout.signingKey, 'utf8'));
  const exchangeKey = loadPrivateKey(readFileSync(layout.exchangeKey, 'utf8'));
  const signingPublicKey = publicKeyOf(signingKey);
  return {
    caCertPem,
    caFingerprint: certificateFingerprint(caCertPem),
    serverKeyPem: readFileSync(layout.serverKey, 'utf8'),
    serverChainPem: `${readFileSync(layout.serverCert, 'utf8').trim()}\n${caCertPem.trim()}\n`,
    signingKey,
    signingPublicKey,
    signingKeyFingerprint: publicKeyFingerprint(signingPublicKey),
    exchangeKey,
    exchangePublicKey: publicKeyOf(exchangeKey),
  };
}

export function hubInfo(keys: HubKeys, name: string, now: number): HubInfo {
  return {
    protocol: PROTOCOL_VERSION,
    name,
    caFingerprint: keys.caFingerprint,
    signingPublicKey: keys.signingPublicKey,
    signingKeyFingerprint: keys.signingKeyFingerprint,
    exchangePublicKey: keys.exchangePublicKey,
    time: now,
  };
}
