// The federation room: the hub protocol's schemas (secure aggregation's included) and the federation
// math (aggregation strategies, update compression), shared by the hub, the site and the renderer. It
// runs anywhere: what needs Node (keys, signing, sealing, enrollment tokens, the HTTPS client) lives in
// shared/node/federation/, and the SecAgg+ math in shared/node/secagg/.
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
  assertRoundLayout,
  roundTensors,
  SPLIT_MODEL_STAGES,
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
  DP_TRAINABLE_LAYERS,
  dpTrainableValueCount,
  isDpTrainable,
  type DpTrainableLayers,
} from './dp-trainable-layers.ts';
export { patientDpNoiseShape } from './patient-dp-noise-shape.ts';
export {
  clipBitBounds,
  examplesBound,
  l2Norm,
  scaleTrainedValues,
  scaleWeights,
  statisticsBoundProblem,
  statisticsValueBound,
  trainedL2Norm,
  trainedValueCount,
  unpublishableReason,
  updateNormBound,
} from './update-bounds.ts';
export { learningRateScheduleWords, type LearningRateSchedule } from './learning-rate-words.ts';
export {
  COSINE_FLOOR,
  FINAL_DECAY_SHARE,
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
export * from './protocol-version.ts';
export { canonicalJson } from './canonical-json.ts';
export * from './secagg-protocol.ts';
export { isRunningStatistic, RUNNING_STATISTICS_SUFFIXES } from './running-statistics.ts';
export {
  leastUpdatesInSecureSum,
  secureAggregationSchema,
  type SecureAggregationSettings,
} from './secure-aggregation-settings.ts';
export * from './homomorphic-protocol.ts';
export {
  DEFAULT_HOMOMORPHIC_SITES,
  homomorphicOn,
  homomorphicSchema,
  type HomomorphicSettings,
} from './homomorphic-settings.ts';
