// Held files: the review queue of what de-identification held back (list, preview, release as is,
// clean and release, delete), and the site's policy for files held for text in the picture.
export {
  HeldFileError,
  heldFileView,
  heldRow,
  listHeldFiles,
  plainReason,
  type HeldRow,
} from './held-files.ts';
export { deleteHeld, releaseAsIs, type HeldActionOptions } from './held-actions.ts';
export { heldPreview, heldPreviewView, PREVIEW_SIZE } from './held-preview.ts';
export { cleanAndRelease, type CleanHeldOptions } from './held-clean.ts';
export { HELD_FILE_POLICIES, heldFilePolicyOf } from './held-policy.ts';
export { applyHeldFilePolicy, countsAfterPolicy, type HeldPolicySummary } from './held-at-ingest.ts';
export { currentHeldFilePolicy, HeldPolicyLockedError, setHeldFilePolicy } from './held-policy.ts';
