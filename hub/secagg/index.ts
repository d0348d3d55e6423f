// Secure aggregation at the hub: the phases of a secure round, the sites' actions in it, masked
// uploads, and unmasking the sum.
export { advanceSecureRound, secureQuorum, startSecureRound } from './secagg-phases.ts';
export {
  advertiseKeys,
  postShares,
  revealShares,
  secaggView,
  secureActionPending,
  securePhase,
} from './secagg-actions.ts';
export { checkMaskedUploadAllowed, maskedInputProblem } from './masked-upload.ts';
export { unmaskedRoundSum } from './secagg-aggregation.ts';
export { SecAggRows, type ParticipantRow, type SecAggRoundRow } from './secagg-rows.ts';
