// A site's swarm files, in its site folder D: the swarm's signing key and exchange key in D/keys/
// (mode 0600, as the federation keys; the signing key is also the member's TLS key, see
// peer-certificate.ts), the ledger in D/swarm.db, and D/swarm.json with the name and address this
// member gave itself. `radfed swarm …` and the demo open a member through here.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { z } from 'zod';
import {
  generateExchangeKeyPair,
  generateSigningKeyPair,
  loadPrivateKey,
  publicKeyOf,
} from '../../../shared/node/federation/index.ts';
import { makeFolder, writeFileAtomically } from '../../../shared/node/index.ts';
import { readFolderSettings } from './folder-settings.ts';
import { memberCardSchema } from './ledger-entry.ts';
import { isRelayedAddress } from './relay-sealing.ts';
import { SwarmError } from './swarm-error.ts';
import { SwarmLedger } from './swarm-ledger.ts';
import { SwarmNode } from './swarm-node.ts';

// The name and address go into this member's card in every member's ledger, whose text is printable
// ASCII (ledger-entry.ts): checked here, before anything is made, rather than refused by the ledger's
// own check after the folder, keys and swarm.json were written.
const cardText = memberCardSchema.shape.name;
const settingsSchema = z.strictObject({
  name: cardText,
  address: z
    .string()
    .url()
    .max(2048)
    .regex(/^[\x20-\x7e]+$/),
});
export type SwarmSiteSettings = z.infer<typeof settingsSchema>;

const PLAIN_TEXT =
  'English letters without accents, digits, spaces and punctuation (every member\u2019s ledger keeps it in that form)';

export function swarmPaths(dir: string) {
  return {
    db: join(dir, 'swarm.db'),
    settings: join(dir, 'swarm.json'),
    signingKey: join(dir, 'keys', 'swarm-signing.pem'),
    exchangeKey: join(dir, 'keys', 'swarm-exchange.pem'),
  };
}

/** The swarm's name a founder gives (--name), checked before anything is made. */
export function checkSwarmName(name: string): string {
  const checked = cardText.safeParse(name.trim());
  if (!checked.success)
    throw new SwarmError(
      'bad-message',
      `Give the swarm a name of 1 to 200 characters: ${PLAIN_TEXT}, e.g. "Chest CT consortium".`,
    );
  return checked.data;
}

/** This member's name (--site-name) and address, checked before anything is made. */
export function checkSwarmSiteSettings(settings: SwarmSiteSettings): SwarmSiteSettings {
  const name = settings.name.trim();
  if (!cardText.safeParse(name).success)
    throw new SwarmError(
      'bad-message',
      `Give this site a name of 1 to 200 characters: ${PLAIN_TEXT}, e.g. "St Mary Hospital".`,
    );
  const parsed = settingsSchema.safeParse({ name, address: settings.address.trim() });
  // Only here, not in the schema swarm.json is read with: a member founded before this check with
  // another scheme keeps working, and gets that address back from its card.
  const reachable =
    parsed.success && (parsed.data.address.startsWith('https://') || isRelayedAddress(parsed.data.address));
  if (!parsed.success || !reachable)
    throw new SwarmError(
      'bad-message',
      'Give the https:// address other members reach this site at (e.g. https://radfed.hospital.example:8470), ' +
        'or, when it accepts no inbound connection, relay://<member id> (a member relays for it) or the ' +
        'relay+https://… address of a relay (`radfed relay init` prints it).',
    );
  return parsed.data;
}

/** Writes this member's name and address, and makes its keys when it has none. */
export function prepareSwarmSite(dir: string, settings: SwarmSiteSettings): void {
  const paths = swarmPaths(dir);
  const checked = checkSwarmSiteSettings(settings);
  // Not mkdirSync's recursive mode: it never returns under /proc (shared/node/make-folder.ts).
  makeFolder(join(dir, 'keys'), 'the site folder (--dir)', 0o700);
  for (const [path, make] of [
    [paths.signingKey, generateSigningKeyPair],
    [paths.exchangeKey, generateExchangeKeyPair],
  ] as const) {
    if (!existsSync(path)) writeFileAtomically(path, make().privateKeyPem, { mode: 0o600, exclusive: true });
  }
  writeSettings(dir, checked);
}

function writeSettings(dir: string, settings: SwarmSiteSettings): void {
  writeFileAtomically(swarmPaths(dir).settings, `${JSON.stringify(settings, null, 2)}\n`);
}

export function readSwarmSettings(dir: string): SwarmSiteSettings {
  return readFolderSettings(swarmPaths(dir), settingsSchema, {
    notSetUp:
      'This folder holds no swarm member: run `radfed swarm init` (to found a swarm) or `radfed swarm join` first.',
    // Init and join give a member its swarm.json back from its ledger (existingMembership), so this
    // sentence leads somewhere, where "run init again" alone was refused as "already in a swarm".
    damaged:
      'swarm.json in this folder is damaged. Run `radfed swarm init` again (or `radfed swarm join`, as this site was set up): ' +
      'a site already in a swarm gets its swarm.json back from its ledger, and one in no swarm yet is set up afresh.',
  });
}

/** What init or join finds in a folder whose ledger already holds a swarm. */
export type ExistingMembership =
  /** `restored`: its swarm.json was missing or damaged, and was written again from its card. */
  | { readonly member: true; readonly swarm: string; readonly restored: SwarmSiteSettings | null }
  /** The ledger's swarm, which this site's key is no member of (it left, was removed, or its keys went). */
  | { readonly member: false; readonly swarm: string };

/**
 * The swarm this folder's ledger already holds, or null when it holds none (no ledger, or an empty one
 * that an init or join which failed left, and which may be run again). Read before init or join writes
 * anything, so that a folder already in a swarm keeps the name and address its card has in every
 * ledger. A member whose swarm.json is missing or damaged gets it back here, from that card: the
 * way out that the damaged file's sentence names.
 */
export function existingMembership(dir: string): ExistingMembership | null {
  const paths = swarmPaths(dir);
  if (!existsSync(paths.db)) return null;
  const ledger = SwarmLedger.open(paths.db);
  try {
    const state = ledger.state;
    if (state === null) return null;
    const ownKey = existsSync(paths.signingKey) ? publicKeyOf(readFileSync(paths.signingKey, 'utf8')) : null;
    const card = state.members.find((member) => member.signingKey === ownKey);
    if (!card) return { member: false, swarm: state.name };
    try {
      readSwarmSettings(dir);
      return { member: true, swarm: state.name, restored: null };
    } catch (error) {
      if (!(error instanceof SwarmError)) throw error;
    }
    const restored = { name: card.name, address: card.address };
    writeSettings(dir, restored);
    return { member: true, swarm: state.name, restored };
  } finally {
    ledger.close();
  }
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
