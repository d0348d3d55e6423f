// Where a site keeps what enrollment gave it:
//   D/federation/hub.json          the hub's address, its pinned CA certificate and public keys, our site id
//   D/keys/federation-signing.key  the site's Ed25519 private key (PKCS#8 PEM, mode 0600)
//   D/keys/federation-exchange.key the site's X25519 private key (mode 0600; kept for secure aggregation's pairwise masks)
// Each file is written atomically and durably (shared/node/atomic-file.ts), hub.json last: a folder without hub.json is a
// site that is not enrolled, whatever else an interrupted enrollment left behind.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { hubInfoSchema } from '../../../shared/federation/index.ts';
import { type SiteEnrollment } from '../../../shared/node/federation/index.ts';
import { writeFileAtomically } from '../../../shared/node/index.ts';
import { SyncError } from './sync-error.ts';

export interface FederationPaths {
  readonly root: string;
  readonly hubFile: string;
  readonly signingKey: string;
  readonly exchangeKey: string;
  /** Per task: round state, sealed updates, checkpoints, partial model downloads. */
  readonly tasks: string;
}

export function federationPaths(siteDir: string): FederationPaths {
  const dir = resolve(siteDir);
  const root = join(dir, 'federation');
  return {
    root,
    hubFile: join(root, 'hub.json'),
    signingKey: join(dir, 'keys', 'federation-signing.key'),
    exchangeKey: join(dir, 'keys', 'federation-exchange.key'),
    tasks: join(root, 'tasks'),
  };
}

const hubFileSchema = z.object({
  format: z.literal(1),
  hubUrl: z.string().url(),
  caPem: z.string().min(1),
  hub: hubInfoSchema,
  siteId: z.string().min(1),
  siteName: z.string().min(1),
  enrolledAt: z.string(),
});

export function isEnrolled(siteDir: string): boolean {
  return existsSync(federationPaths(siteDir).hubFile);
}

export function saveEnrollment(siteDir: string, enrollment: SiteEnrollment, at: Date): void {
  const paths = federationPaths(siteDir);
  mkdirSync(paths.root, { recursive: true });
  mkdirSync(join(resolve(siteDir), 'keys'), { recursive: true, mode: 0o700 });
  writeFileAtomically(paths.signingKey, enrollment.signingPrivateKeyPem, { mode: 0o600 });
  writeFileAtomically(paths.exchangeKey, enrollment.exchangePrivateKeyPem, { mode: 0o600 });
  const file: z.infer<typeof hubFileSchema> = {
    format: 1,
    hubUrl: enrollment.hubUrl,
    caPem: enrollment.caPem,
    hub: enrollment.hub,
    siteId: enrollment.siteId,
    siteName: enrollment.siteName,
    enrolledAt: at.toISOString(),
  };
  writeFileAtomically(paths.hubFile, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o644 });
}

/** The saved enrollment, or a SyncError telling the operator to enroll first. */
export function loadEnrollment(siteDir: string): SiteEnrollment & { enrolledAt: string } {
  const paths = federationPaths(siteDir);
  if (!existsSync(paths.hubFile)) {
    throw new SyncError(
      'not-enrolled',
      `This site is not enrolled with a hub yet. Ask the coordinator for a token, then run\n` +
        `  radfed site enroll --dir ${resolve(siteDir)} --hub https://HUB:8443 --token rft1....`,
    );
  }
  let parsed: z.infer<typeof hubFileSchema>;
  try {
    parsed = hubFileSchema.parse(JSON.parse(readFileSync(paths.hubFile, 'utf8')));
  } catch {
    throw new SyncError(
      'bad-state',
      `${paths.hubFile} is damaged or from another version of RadFed; enroll the site again with a new token.`,
    );
  }
  const readKey = (path: string) => {
    try {
      return readFileSync(path, 'utf8');
    } catch {
      throw new SyncError(
        'bad-state',
        `The site's federation key ${path} is missing; enroll the site again with a new token.`,
      );
    }
  };
  const { format: _format, enrolledAt, ...rest } = parsed;
  return {
    ...rest,
    signingPrivateKeyPem: readKey(paths.signingKey),
    exchangePrivateKeyPem: readKey(paths.exchangeKey),
    enrolledAt,
  };
}
