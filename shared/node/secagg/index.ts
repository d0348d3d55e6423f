// Secure aggregation (SecAgg+, Bell et al. 2020 over Bonawitz et al. 2017): the math and the messages
// that the hub (hub/secagg) and the sites (main/site/federation/secagg-*) share. Needs Node (node:crypto
// for the mask generator, the round keys and the neighbourhoods); the wire schemas run anywhere and live
// in shared/federation/secagg-protocol.ts, exported by shared/federation/index.ts.
export { SecureAggregationError, type SecureAggregationErrorCode } from './secagg-error.ts';
export { applyMaskStream, maskWords, randomWords } from './mask-prg.ts';
export {
  clipRangeOf,
  clipValues,
  dequantiseSum,
  MODULUS_BITS,
  quantiseUpdate,
  vectorLength,
  weightCapFor,
  type QuantisationParameters,
} from './quantisation.ts';
export { neighbourhoodSize, neighboursOf, orderSites, thresholdFor } from './neighbourhood.ts';
export {
  planMismatch,
  planValuesFor,
  survivorsMismatch,
  type PlanField,
  type PlanMismatch,
  type PlanSettings,
  type PlanValues,
} from './round-plan.ts';
export {
  decryptShares,
  encryptShares,
  newRoundSecrets,
  pairMaskKey,
  publicKeysOf,
  seedCommitment,
  x25519PublicOf,
  type PairContext,
  type RoundPublicKeys,
  type RoundSecrets,
} from './round-keys.ts';
export { combineShares, SHARE_BYTES, splitSecret } from './secret-shares.ts';
export { maskInput, MaskedSum, pairSign, type MaskNeighbour, type PlacedSite } from './masking.ts';
export { decodeMaskedInput, encodeMaskedInput } from './masked-codec.ts';
export { appendClipBit, CLIP_BIT_SCALE, clipBitBound, takeClipBitSum } from './clip-bit-element.ts';
export { makeShares, openShares, revealShares, type HeldShares } from './share-exchange.ts';
export {
  ROUND_KEYS_TAG,
  roundKeysBytes,
  roundKeysSignatureValid,
  signedAdvertisement,
  signRoundKeys,
  type RoundKeysStatement,
} from './round-keys-signature.ts';
export { missingShares, unmaskSum, type UnmaskInput } from './unmasking.ts';
export { runLocalRound, type LocalRoundResult, type LocalSite } from './local-round.ts';
