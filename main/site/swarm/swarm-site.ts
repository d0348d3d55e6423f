// A site's swarm files, in its site folder D: the swarm's signing key and exchange key in D/keys/
// (mode 0600, as the federation keys; the signing key is also the member's TLS key, see
// peer-certificate.ts), the ledger in D/swarm.db, and D/swarm.json with the name and address this
// member gave itself. `radfed swarm …` and the demo open a member through here.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { z } from 'zod';
import {
  generateExchangeKeyPair,
  generateSigningKeyPair,
  loadPrivateKey,
  publicKeyOf,
} from '../../../shared/node/federation/index.ts';
import { writeFileAtomically } from '../../../shared/node/index.ts';
import { readFolderSettings } from './folder-settings.ts';
import { isRelayedAddress } from './relay-sealing.ts';
import { SwarmError } from './swarm-error.ts';
import { SwarmNode } from './swarm-node.ts';

const settingsSchema = z.strictObject({
  name: z.string().min(1).max(200),
  address: z.string().url().max(2048),
});
export type SwarmSiteSettings = z.infer<typeof settingsSchema>;

export function swarmPaths(dir: string) {
  return {
    db: join(dir, 'swarm.db'),
    settings: join(dir, 'swarm.json'),
    signingKey: join(dir, 'keys', 'swarm-signing.pem'),
    exchangeKey: join(dir, 'keys', 'swarm-exchange.pem'),
  };
}

/** Writes this member's name and address, and makes its keys when it has none. */
export function prepareSwarmSite(dir: string, settings: SwarmSiteSettings): void {
  const paths = swarmPaths(dir);
  const parsed = settingsSchema.safeParse(settings);
  if (!parsed.success)
    throw new SwarmError(
      'bad-message',
      'Give this site a name and the https:// address other members reach it at (e.g. https://radfed.hospital.example:8470), ' +
        'or, when it accepts no inbound connection, relay://<member id> (a member relays for it) or the ' +
        'relay+https://… address of a relay (`radfed relay init` prints it).',
    );
  mkdirSync(join(dir, 'keys'), { recursive: true, mode: 0o700 });
  for (const [path, make] of [
    [paths.signingKey, generateSigningKeyPair],
    [paths.exchangeKey, generateExchangeKeyPair],
  ] as const) {
    if (!existsSync(path)) writeFileAtomically(path, make().privateKeyPem, { mode: 0o600, exclusive: true });
  }
  writeFileAtomically(paths.settings, `${JSON.stringify(parsed.data, null, 2)}\n`);
}

export function readSwarmSettings(dir: string): SwarmSiteSettings {
  return readFolderSettings(swarmPaths(dir), settingsSchema, {
    notSetUp:
      'This folder holds no swarm member: run `radfed swarm init` (to found a swarm) or `radfed swarm join` first.',
    damaged: 'swarm.json in this folder is damaged; run `radfed swarm init` again.',
  });
}

/** Starts this site's member: its server on `port` (by default its address's port), its ledger open. */
export async function startSwarmMember(
  dir: string,
  options: {
    readonly logger: Logger;
    readonly host?: string;
    readonly port?: number;
    readonly timeoutMs?: number;
  },
): Promise<SwarmNode> {
  const settings = readSwarmSettings(dir);
  const paths = swarmPaths(dir);
  const signingKey = loadPrivateKey(readFileSync(paths.signingKey, 'utf8'));
  const url = new URL(settings.address);
  return SwarmNode.start({
    dbPath: paths.db,
    name: settings.name,
    signingKey,
    signingPublicKey: publicKeyOf(signingKey),
    exchangePublicKey: publicKeyOf(readFileSync(paths.exchangeKey, 'utf8')),
    exchangePrivateKey: loadPrivateKey(readFileSync(paths.exchangeKey, 'utf8')),
    logger: options.logger,
    host: options.host ?? '0.0.0.0',
    // A member behind a relay (relay://<id>, relay+https://…) listens on no address peers dial: any free port.
    port: options.port ?? (isRelayedAddress(settings.address) ? 0 : Number(url.port || 443)),
    advertise: settings.address,
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
  });
}
