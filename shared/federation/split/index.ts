// Split learning's shared parts: the binary frame that carries activations and gradients across a cut.
export {
  CUT_FRAME_DTYPES,
  CUT_FRAME_KINDS,
  CUT_FRAME_VERSION,
  CutFrameError,
  decodeCutFrame,
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
