// `radfed hub init`: a new hub folder with its database, blob store, CA and TLS certificate, and its
// Ed25519 signing and X25519 exchange keys. Refuses to touch a folder that already holds a hub. The
// folder is made private (0700, files 0600) before anything is written into it.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { z } from 'zod';
import { generateExchangeKeyPair, generateSigningKeyPair } from '../../shared/node/federation/index.ts';
import { writeFileAtomically } from '../../shared/node/index.ts';
import { HubError } from '../hub-errors.ts';
import { HubStore } from '../store/index.ts';
import { checkHostNames } from './host-names.ts';
import { hubLayout, type HubLayout } from './hub-layout.ts';
import { makePrivateFolder, PRIVATE_DIR_MODE, tightenHubFolder } from './private-folder.ts';

export const DEFAULT_HUB_PORT = 8443;
export const DEFAULT_HOSTS = ['localhost', '127.0.0.1'];

const hubConfigSchema = z.object({
  format: z.literal(1),
  name: z.string().min(1),
  hosts: z.array(z.string()).min(1),
  port: z.number().int().min(0).max(65535),
  createdAt: z.string(),
});
export type HubConfig = z.infer<typeof hubConfigSchema>;

export interface InitHubOptions {
  readonly dir: string;
  readonly hosts?: readonly string[];
  readonly name?: string;
  readonly port?: number;
}

export async function initHub(options: InitHubOptions): Promise<{ layout: HubLayout; config: HubConfig }> {
  const layout = hubLayout(options.dir);
  if (existsSync(layout.config)) {
    throw new HubError(
      'hub-exists',
      409,
      `${options.dir} already holds a hub; pick another --dir or use it as it is.`,
    );
  }
  if (existsSync(options.dir) && readdirSync(options.dir).length > 0) {
    throw new HubError(
      'folder-not-empty',
      409,
      `${options.dir} is not empty; give a new or empty folder for the hub.`,
    );
  }
  const hosts = checkHostNames(options.hosts && options.hosts.length > 0 ? options.hosts : DEFAULT_HOSTS);
  const name = options.name ?? basename(options.dir);
  const existed = existsSync(options.dir);
  try {
    return await createHubFolder(options, layout, hosts, name);
  } catch (error) {
    // A failed init (a full disk, a killed process) leaves nothing behind: the folder was new or
    // empty, and a folder left half made was refused by the next `hub init` as "not empty".
    removeWhatInitMade(options.dir, existed);
    throw error;
  }
}

async function createHubFolder(
  options: InitHubOptions,
  layout: HubLayout,
  hosts: string[],
  name: string,
): Promise<{ layout: HubLayout; config: HubConfig }> {
  makePrivateFolder(options.dir);
  mkdirSync(layout.keys, { recursive: true, mode: PRIVATE_DIR_MODE });
  mkdirSync(layout.uploads, { recursive: true, mode: PRIVATE_DIR_MODE });
  // Loaded only here: the X.509 library is large, and only `hub init` needs it.
  const { createHubCertificates } = await import('./certificates.ts');
  const certificates = await createHubCertificates({ hosts, hubName: name });
  writePrivate(layout.caKey, certificates.caKeyPem);
  writeFileAtomically(layout.caCert, certificates.caCertPem);
  writePrivate(layout.serverKey, certificates.serverKeyPem);
  writeFileAtomically(layout.serverCert, certificates.serverCertPem);
  writePrivate(layout.signingKey, generateSigningKeyPair().privateKeyPem);
  writePrivate(layout.exchangeKey, generateExchangeKeyPair().privateKeyPem);
  await HubStore.open(layout.database, layout).close();
  const config: HubConfig = {
    format: 1,
    name,
    hosts,
    port: options.port ?? DEFAULT_HUB_PORT,
    createdAt: new Date().toISOString(),
  };
  // Written last: a hub folder without hub.json is a failed init, and init may be run again there.
  writeFileAtomically(layout.config, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  // What the libraries created with the process's umask (the database, the blob folder) made private too.
  tightenHubFolder(options.dir);
  return { layout, config };
}

function removeWhatInitMade(dir: string, existed: boolean): void {
  try {
    if (!existed) rmSync(dir, { recursive: true, force: true });
    else for (const entry of readdirSync(dir)) rmSync(join(dir, entry), { recursive: true, force: true });
  } catch {
    // Best effort: the error that stopped init is the one to report.
  }
}

function writePrivate(path: string, pem: string): void {
  writeFileAtomically(path, pem, { mode: 0o600 });
}

export function readHubConfig(dir: string): HubConfig {
  const layout = hubLayout(dir);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(layout.config, 'utf8'));
  } catch {
    throw new HubError(
      'not-a-hub',
      404,
      `${dir} is not a RadFed hub folder (no hub.json); create one with \`radfed hub init --dir ${dir}\`.`,
    );
  }
  const parsed = hubConfigSchema.safeParse(json);
  if (!parsed.success)
    throw new HubError('bad-hub-config', 500, `${layout.config} is damaged; restore it from backup.`);
  return parsed.data;
}
