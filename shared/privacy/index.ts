// The privacy accountant: Rényi DP of the subsampled Gaussian mechanism, its conversion to (ε, δ),
// and budget helpers for tasks that train with differential privacy. Runs anywhere: the cryptographic
// noise source (node:crypto) is in shared/node/privacy/.
export { PrivacyError, type PrivacyErrorCode } from './privacy-error.ts';
export {
  checkMechanism,
  DEFAULT_ORDERS,
  logSumExp,
  rdpAfter,
  rdpPerStep,
  type SubsampledGaussian,
} from './rdp.ts';
export { checkDelta, epsilonAtOrder, epsilonFromRdp, type EpsilonAtOrder } from './conversion.ts';
export { epsilonSpent, roundsWithinBudget, type PrivacyBudget } from './budget.ts';
export {
  calibrateNoiseMultiplier,
  MAX_NOISE_MULTIPLIER,
  MIN_NOISE_MULTIPLIER,
  type CalibrationInput,
} from './calibration.ts';
export {
  fewestPatientsFor,
  hopelessNoiseReason,
  NOISE_TO_SIGNAL_BANDS,
  NOISE_TO_SIGNAL_REFUSED,
  noiseToSignal,
  type NoiseCost,
  type NoiseShape,
  type NoiseToSignal,
} from './noise-to-signal.ts';
