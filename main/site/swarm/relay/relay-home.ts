// The relay's folder R: its Ed25519 key in R/keys/relay-signing.pem (0600; the key of its TLS
// certificate, whose fingerprint members pin), R/relay.json with the address members dial and the
// swarms it serves, and R/ledgers/<swarm id>.db, its verified copy of each served swarm's ledger.
// The key is the relay's own: it is no swarm key, opens no message and signs no ledger entry.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KeyObject } from 'node:crypto';
import type { Logger } from 'pino';
import { z } from 'zod';
import {
  generateSigningKeyPair,
  loadPrivateKey,
  publicKeyFingerprint,
  publicKeyOf,
} from '../../../../shared/node/federation/index.ts';
import { makeFolder, writeFileAtomically } from '../../../../shared/node/index.ts';
import { readFolderSettings, readSettingsFile } from '../folder-settings.ts';
import { makePeerCertificate } from '../peer-certificate.ts';
import type { MailboxLimits } from '../relay-mailbox-store.ts';
import { relayServerAddress } from '../relay-sealing.ts';
import { SwarmError } from '../swarm-error.ts';
import { RelayAdmission } from './relay-admission.ts';
import { RelayServer } from './relay-server.ts';

const settingsSchema = z.strictObject({
  address: z
    .string()
    .url()
    .max(2048)
    .refine((a) => a.startsWith('https://'), 'an https:// address'),
  swarms: z.array(z.string().regex(/^[0-9a-f]{64}$/)).max(1000),
});
export type RelaySettings = z.infer<typeof settingsSchema>;

export function relayPaths(dir: string) {
  return {
    settings: join(dir, 'relay.json'),
    signingKey: join(dir, 'keys', 'relay-signing.pem'),
    ledgers: join(dir, 'ledgers'),
  };
}

// Init reads the old file for the swarms it admitted, so "run init again" alone would be refused by
// the same sentence for ever. Moved aside, init starts the file afresh; the key stays, and with it
// the fingerprint in the address every member gave.
const DAMAGED =
  'relay.json in this folder is damaged. Restore it from a backup, or move it aside and run `radfed relay init` again, ' +
  'then `radfed relay admit` for each swarm the relay served (its key stays, so the address members use is unchanged).';

/**
 * Writes the relay's address and makes its key when it has none; returns the address members use.
 * The address is checked before anything is made, and the swarms an earlier init admitted are kept:
 * a relay run through init again (a new address) serves what it served.
 */
export function prepareRelayHome(dir: string, address: string): string {
  const paths = relayPaths(dir);
  const wanted = address.trim().replace(/\/$/, '');
  if (!settingsSchema.shape.address.safeParse(wanted).success)
    throw new SwarmError(
      'bad-message',
      'Give the relay the https:// address members reach it at, with its port (e.g. https://relay.hospital.example:8471).',
    );
  const swarms = existsSync(paths.settings)
    ? readSettingsFile(paths.settings, settingsSchema, DAMAGED).swarms
    : [];
  // Not mkdirSync's recursive mode: it never returns under /proc (shared/node/make-folder.ts).
  makeFolder(join(dir, 'keys'), 'the relay folder (--dir)', 0o700);
  if (!existsSync(paths.signingKey))
    writeFileAtomically(paths.signingKey, generateSigningKeyPair().privateKeyPem, {
      mode: 0o600,
      exclusive: true,
    });
  writeFileAtomically(paths.settings, `${JSON.stringify({ address: wanted, swarms }, null, 2)}\n`);
  return relayMemberAddress(dir);
}

export function readRelaySettings(dir: string): RelaySettings {
  return readFolderSettings(relayPaths(dir), settingsSchema, {
    notSetUp: 'This folder holds no relay: run `radfed relay init` first.',
    damaged: DAMAGED,
  });
}

/** Adds a swarm (its id, from `radfed swarm status` at a member) to those the relay serves. */
export function admitSwarm(dir: string, swarm: string): boolean {
  const settings = readRelaySettings(dir);
  if (!/^[0-9a-f]{64}$/.test(swarm))
    throw new SwarmError(
      'bad-message',
      'A swarm id is 64 hex digits: copy it from `radfed swarm status --json` at a member.',
    );
  if (settings.swarms.includes(swarm)) return false;
  writeFileAtomically(
    relayPaths(dir).settings,
    `${JSON.stringify({ ...settings, swarms: [...settings.swarms, swarm] }, null, 2)}\n`,
  );
  return true;
}

/** The address a member behind NAT gives as its own: relay+https://host:port/<key fingerprint>. */
export function relayMemberAddress(dir: string): string {
  const settings = readRelaySettings(dir);
  const key = loadPrivateKey(readFileSync(relayPaths(dir).signingKey, 'utf8'));
  return relayServerAddress(settings.address, publicKeyFingerprint(publicKeyOf(key)));
}

export interface RunningRelay {
  readonly server: RelayServer;
  readonly port: number;
  /** relay+https://host:port/<fingerprint>, as members name it in their cards. */
  readonly memberAddress: string;
  close(): Promise<void>;
}

export interface RelayStartOptions {
  readonly signingKey: KeyObject;
  /** Where the ledger copies are kept. */
  readonly ledgers: string;
  readonly swarms: readonly string[];
  readonly logger: Logger;
  readonly host?: string;
  readonly port?: number;
  /** The https:// address members dial, when it is not https://host:port. */
  readonly advertise?: string;
  readonly limits?: MailboxLimits;
}

export async function startRelay(options: RelayStartOptions): Promise<RunningRelay> {
  const fingerprint = publicKeyFingerprint(publicKeyOf(options.signingKey));
  const admission = new RelayAdmission(options.ledgers, options.swarms, fingerprint);
  const server = new RelayServer({
    certificate: await makePeerCertificate(options.signingKey, { name: 'RadFed swarm relay' }),
    fingerprint,
    admission,
    logger: options.logger,
    ...(options.limits ? { limits: options.limits } : {}),
  });
  const host = options.host ?? '127.0.0.1';
  let port: number;
  try {
    port = await server.listen(options.port ?? 0, host);
  } catch (error) {
    admission.close();
    throw error;
  }
  const advertise = options.advertise ?? `https://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`;
  return {
    server,
    port,
    memberAddress: relayServerAddress(advertise, fingerprint),
    close: async () => {
      await server.close();
      admission.close();
    },
  };
}

/** The relay of folder `dir`, listening on its address's port unless told another. */
export function startRelayHome(
  dir: string,
  options: { logger: Logger; host?: string; port?: number },
): Promise<RunningRelay> {
  const settings = readRelaySettings(dir);
  const paths = relayPaths(dir);
  return startRelay({
    signingKey: loadPrivateKey(readFileSync(paths.signingKey, 'utf8')),
    ledgers: paths.ledgers,
    swarms: settings.swarms,
    logger: options.logger,
    host: options.host ?? '0.0.0.0',
    port: options.port ?? Number(new URL(settings.address).port || 443),
    advertise: settings.address,
  });
}
