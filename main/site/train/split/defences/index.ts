// Split learning's defences at the site and the leakage meter: what the task's defence settings do to
// a step (NoPeek, clipping and noise on the activations, max norm on returned gradients), the check
// that stops a hijacked session, and the meter that measures a cut before the site approves it.
export { addActivationNoise, activationNoiseStd, clipPerImage } from './activation-noise.ts';
export { distanceCorrelation, NOPEEK_MAX_BATCH } from './distance-correlation.ts';
export { maxNormGradient } from './gradient-max-norm.ts';
export { HijackGuard } from './hijack-guard.ts';
export type { ValidationReading } from './hijack-guard.ts';
export { ImageDecoder } from './image-decoder.ts';
export { imageSimilarity } from './image-similarity.ts';
export type { ImageSimilarity } from './image-similarity.ts';
export { labelReadingAuc, rocAuc } from './label-auc.ts';
export { cutLeakageProblem, describeCutLeakage, refuseLeakyCut } from './leakage-approval.ts';
export type { LeakageWording } from './leakage-approval.ts';
export { measureCutLeakage } from './leakage-meter.ts';
export type { CutLeakage, LeakageMeterInput } from './leakage-meter.ts';
export { siteCutDefences } from './site-defences.ts';
export type { SiteDefenceOptions } from './site-defences.ts';
export { SplitDefenceError } from './split-defence-error.ts';
export type { SplitDefenceErrorCode } from './split-defence-error.ts';
export { siteValidationLoss } from './validation-loss.ts';
export type { TrunkEvaluation } from './validation-loss.ts';
