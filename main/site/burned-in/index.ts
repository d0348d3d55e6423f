// Burned-in text: find text drawn into the pixels (local OCR with tesseract.js plus rectangle rules
// per manufacturer and model, as RSNA CTP's pixel anonymizer does), decide which of it identifies the
// patient by matching the file's own header values (as Microsoft Presidio's DICOM redactor does),
// blank it, and read the cleaned image again before anything is released. Also renders the preview
// the review queue shows.
export { renderForDisplay } from './display.ts';
export type { DisplayOptions } from './display.ts';
export { detectBurnedInText } from './detect.ts';
export type { DetectOptions } from './detect.ts';
export { cleanBurnedInText } from './clean.ts';
export type { CleanOptions } from './clean.ts';
export { closeBurnedInOcr, type OcrWord } from './ocr.ts';
export { blankedArea } from './blank.ts';
export { identifyingNeedles, identifyingWords } from './identifiers.ts';
export { BurnedInError } from './errors.ts';
export type { BurnedInErrorCode } from './errors.ts';
export { AgentOnlyText } from './types.ts';
export type { BurnedInCleaning, BurnedInDetection, BurnedInPolicy, TextBox } from './types.ts';
