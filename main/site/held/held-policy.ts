// The site's rule for images held for text in the picture (site.json `heldFilePolicy`; IT may lock it
// as the setting `studies.heldFilePolicy`): hold them for a person (the default), clean them at ingest
// and release what reads clean, or clean them at ingest and still ask a person before release.
import type { HeldFilePolicy } from '../../../shared/ipc/index.ts';
import { AuditLog } from '../audit/index.ts';
import { RadfedError } from '../../../shared/errors.ts';
import { readSiteConfig, writeSiteConfig, type SiteConfig } from '../store/index.ts';
import type { IngestSite } from '../ingest/index.ts';

export const HELD_FILE_POLICIES: readonly HeldFilePolicy[] = ['hold', 'clean-automatically', 'clean-and-ask'];

export function heldFilePolicyOf(config: SiteConfig): HeldFilePolicy {
  return config.heldFilePolicy ?? 'hold';
}

/** The policy as site.json says now (it may have changed since the site was opened). */
export function currentHeldFilePolicy(site: IngestSite): HeldFilePolicy {
  try {
    return heldFilePolicyOf(readSiteConfig(site.paths));
  } catch {
    return heldFilePolicyOf(site.config);
  }
}

export class HeldPolicyLockedError extends RadfedError<'setting-locked'> {
  override readonly name = 'HeldPolicyLockedError';
  constructor() {
    super(
      'setting-locked',
      'What RadFed does with images that may have text in the picture is locked by your IT department on this computer, so it cannot be changed here. Nothing was changed; ask IT if it needs a different value.',
    );
  }
}

/** Writes the policy into site.json (read fresh, written whole and atomically) and audits the change. */
export function setHeldFilePolicy(
  site: IngestSite,
  policy: HeldFilePolicy,
  options: { actor: string; clock?: () => Date },
): void {
  const config = readSiteConfig(site.paths);
  const before = heldFilePolicyOf(config);
  if (before === policy) return;
  writeSiteConfig(site.paths.config, { ...config, heldFilePolicy: policy });
  new AuditLog(site.database, options.clock).append({
    type: 'site.settings-changed',
    actor: options.actor,
    detail: { setting: 'heldFilePolicy', from: before, to: policy },
  });
}
