// The site's rule for files held for text in the picture (site.json `heldFilePolicy`, set from the
// IT-lockable setting `studies.heldFilePolicy`): hold them for a person (the default), clean them
// automatically at ingest and release what reads clean, or clean them and still ask a person.
import type { HeldFilePolicy } from '../../../shared/ipc/held-view.ts';
import type { SiteConfig } from '../store/index.ts';

export const HELD_FILE_POLICIES: readonly HeldFilePolicy[] = ['hold', 'clean-automatically', 'clean-and-ask'];

export function heldFilePolicyOf(config: SiteConfig): HeldFilePolicy {
  const policy = (config as { heldFilePolicy?: unknown }).heldFilePolicy;
  return HELD_FILE_POLICIES.find((p) => p === policy) ?? 'hold';
}
