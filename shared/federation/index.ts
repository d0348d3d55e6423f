// The federation room: the hub protocol (schemas, signing, sealing, tokens) and the federation math
// (aggregation strategies, update compression), shared by the hub and the site. Node-only (node:crypto,
// node:https); the renderer may import types from here, nothing else.
export { FederationError, HubRequestError, type FederationErrorCode } from './errors.ts';
export {
  addScaled,
  assertFinite,
  assertSameLayout,
  cloneWeights,
  elementCount,
  float32ByteLength,
  layoutOf,
  weightDelta,
  zerosLike,
  type NamedTensor,
  type TensorLayout,
  type WeightSet,
} from './tensors.ts';
export {
  float16ArrayToFloat32,
  float16BitsToFloat32,
  float32ArrayToFloat16,
  float32ToFloat16Bits,
  FLOAT16_MAX,
} from './float16.ts';
export {
  COMPRESSIONS,
  decodeWeights,
  decodeWeightsWithInfo,
  encodeWeights,
  type Compression,
  type DecodedWeights,
} from './weights-codec.ts';
export {
  aggregateRound,
  applyDelta,
  applyStrategy,
  WeightedDeltaSum,
  isLocalTensor,
  weightedMeanDelta,
  type AggregationResult,
  type ServerOptimizerState,
  type SiteUpdate,
} from './aggregation.ts';
export { fedAdamStep, type FedAdamSettings, type FedAdamState } from './fed-adam.ts';
export { fedAvgMStep, type FedAvgMSettings, type FedAvgMState } from './fed-avgm.ts';
export { krumDelta, medianDelta, trimmedMeanDelta } from './robust-aggregation.ts';
export {
  combineSum,
  combineUpdates,
  federationMethod,
  METHOD_NAMES,
  noiseShares,
  type Allowance,
  type FederationMethod,
  type Participation,
  type PrivacyLayers,
  type UpdateWeighting,
} from './methods/index.ts';
export {
  adaptiveClippingOn,
  centredClipBit,
  CLIP_BIT_TENSOR,
  clipBitTensor,
  meanClipBit,
  nextClipNorm,
  splitClipBit,
  updateNoiseMultiplier,
} from './adaptive-clipping.ts';
export {
  adaptiveClippingSchema,
  differentialPrivacySchema,
  dpFedAvgSchema,
  dpSgdSchema,
  dpUnit,
  patientDpSgdSchema,
  patientLevelDp,
  privacyBudgetSchema,
  siteLevelDp,
  type AdaptiveClippingSettings,
  type DifferentialPrivacySettings,
  type DpFedAvgSettings,
  type DpSettings,
  type DpSgdSettings,
  type PatientDpSgdSettings,
  type PrivacyBudgetSettings,
} from './differential-privacy-settings.ts';
export {
  anotherRoundFits,
  budgetView,
  formatEpsilon,
  patientDpStepsPerRound,
  privacyBudgetViewSchema,
  privacySpentAfter,
  secureAggregationOn,
  stepsPerRoundAt,
  type AccountedTask,
  type PrivacyBudgetView,
  type PrivacySource,
  type PrivacySpending,
} from './privacy-accounting.ts';
export { modelValueCount } from './model-size.ts';
export {
  clipBitBounds,
  examplesBound,
  l2Norm,
  scaleWeights,
  unpublishableReason,
  updateNormBound,
} from './update-bounds.ts';
export {
  COSINE_FLOOR,
  DEFAULT_MAX_EXAMPLES_PER_SITE,
  DEFAULT_MAX_UPDATE_NORM,
  LEARNING_RATE_SCHEDULES,
  UPDATE_NORM_POLICIES,
  type UpdateNormPolicy,
  privacySchema,
  strategySchema,
  taskDefinitionSchema,
  type Strategy,
  type StrategyName,
  type TaskDefinition,
  type TaskDefinitionInput,
} from './task-schema.ts';
export * from './protocol.ts';
export {
  fingerprint,
  generateExchangeKeyPair,
  generateSigningKeyPair,
  importPublicKey,
  loadPrivateKey,
  publicKeyFingerprint,
  publicKeyOf,
  rawPublicKey,
  sha256Hex,
  type KeyPairPem,
} from './keys.ts';
export { canonicalJson } from './canonical-json.ts';
export { openSealed, sealForHub, uploadContext } from './sealed-box.ts';
export {
  canonicalRequest,
  CLOCK_SKEW_MS,
  SIGNATURE_HEADERS,
  signRequest,
  verifyRequestSignature,
  type RequestToSign,
} from './request-signing.ts';
export { signGlobalModel, verifyGlobalModel, type GlobalModelStatement } from './model-signing.ts';
export { signEnvelope, verifyEnvelope } from './envelope-signing.ts';
export { formatEnrollmentToken, parseEnrollmentToken, type EnrollmentToken } from './enrollment-token.ts';
export { certificateFingerprint, fetchPinnedHubCa } from './hub-pinning.ts';
export {
  assertOk,
  describeConnectionError,
  hubHttp,
  type HubHttpOptions,
  type HubHttpResponse,
} from './hub-http.ts';
export {
  envelopeFor,
  sealUpdate,
  uploadSealed,
  type SealedUpdate,
  type SignedSender,
  type UploadProgress,
} from './site-upload.ts';
export {
  enrollSite,
  HubClient,
  parseBody,
  type HubClientOptions,
  type SiteEnrollment,
} from './site-client-core.ts';
