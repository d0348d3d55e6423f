import { BurnedInError } from './errors.ts';
import type { BurnedInDetection, BurnedInPolicy } from './types.ts';

export interface DetectOptions {
  policy: BurnedInPolicy;
}

export async function detectBurnedInText(
  dicom: Uint8Array,
  options: DetectOptions,
): Promise<BurnedInDetection> {
  void dicom;
  void options;
  throw new BurnedInError('ocr-failed', 'Burned-in text detection is not available yet.');
}
