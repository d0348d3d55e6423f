// The site's rule for images held for text in the picture (site.json `heldFilePolicy`; IT may lock it
// as the setting `studies.heldFilePolicy`): hold them for a person (the default), clean them at ingest
// and release what reads clean, or clean them at ingest and still ask a person before release.
import type { HeldFilePolicy } from '../../../shared/ipc/held-view.ts';
import { readSiteConfig, type SiteConfig } from '../store/index.ts';
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
