// Split learning's shared parts: the binary frame that carries activations and gradients across a cut,
// and the per-step session that carries the frames between a site and the hub.
export {
  CUT_FRAME_DTYPES,
  CUT_FRAME_KINDS,
  CUT_FRAME_VERSION,
  CutFrameError,
  decodeCutFrame,
  decodeCutFrameHeader,
  DEFAULT_MAX_FRAME_VALUES,
  encodeCutFrame,
} from './cut-frame.ts';
export type {
  CutFrame,
  CutFrameDtype,
  CutFrameErrorCode,
  CutFrameHeader,
  CutFrameKind,
} from './cut-frame.ts';
export {
  decodeLabelledStep,
  decodeLabelsFrame,
  decodeLabelsFrameHeader,
  encodeLabelledStep,
  encodeLabelsFrame,
  isLabelsFrame,
  LabelsFrameError,
  MAX_LABEL_CLASSES,
} from './labels-frame.ts';
export type { LabelledStep, LabelsFrame, LabelsFrameErrorCode, LabelsFrameHeader } from './labels-frame.ts';
export {
  maxSplitMessageBytes,
  SPLIT_CLOSE,
  SPLIT_RETRY,
  SPLIT_SESSION_PATH_PATTERN,
  splitRefusalSchema,
  splitSessionPath,
} from './split-session-protocol.ts';
export type { SplitRefusal, SplitRetry, SplitTrunkEngine } from './split-session-protocol.ts';
export {
  NOPEEK_MAX_BATCH,
  noPeekBatchProblem,
  splitDefencesSchema,
  splitLeakageLimitsSchema,
} from './split-defences-schema.ts';
export type {
  ActivationNoiseSettings,
  HijackCheckSettings,
  SplitDefences,
  SplitLeakageLimits,
} from './split-defences-schema.ts';
