import { BurnedInError } from './errors.ts';
import type { BurnedInCleaning, BurnedInPolicy } from './types.ts';

export interface CleanOptions {
  policy: BurnedInPolicy;
  /** Keep a lossy source lossy (default false: the cleaned file is written uncompressed). */
  keepLossy?: boolean;
}

export async function cleanBurnedInText(dicom: Uint8Array, options: CleanOptions): Promise<BurnedInCleaning> {
  void dicom;
  void options;
  throw new BurnedInError('ocr-failed', 'Burned-in text cleaning is not available yet.');
}
