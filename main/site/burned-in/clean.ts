// Cleaning: blank what detection marked (with a margin), rewrite the pixels losslessly, read the
// result again, and only then say Burned In Annotation NO and record the method. Identifying text
// that blanking uncovered is blanked too, at most twice more; text read inside a blanked area, or
// still read after the last round, keeps the file held. The header stays
// identified: the normal de-identification runs on the cleaned file next.
import { Buffer } from 'node:buffer';
import { encodeText, getString, parseDicom, Tags, writeDicom, type DicomDataset } from '../dicom/index.ts';
import { readPixelModule } from '../train/data/index.ts';
import { blankedArea, blankFile, cannotRewrite } from './blank.ts';
import { checkPolicy, detectInFile } from './detect.ts';
import { decodeImageFrame, parseImageFile } from './frames.ts';
import type { BurnedInCleaning, BurnedInPolicy } from './types.ts';
import { verifyCleanedFile } from './verify.ts';

export interface CleanOptions {
  policy: BurnedInPolicy;
  /**
   * Keep a lossy source lossy. RadFed has no lossy encoder, so today the cleaned image is written
   * uncompressed (lossless) either way; Lossy Image Compression (0028,2110) keeps saying the image
   * was once lossy.
   */
  keepLossy?: boolean;
}

/** CID 7050: what the cleaned file records (PS3.15 E.3.1, Clean Pixel Data Option). */
export const CLEAN_PIXEL_DATA_CODE = ['113101', 'Clean Pixel Data Option'] as const;
export const CLEANING_METHOD_TEXT = 'RadFed burned-in text removal, OCR-verified';

/** Readings after the first: text that blanking uncovered (a line that stood beside a blanked one). */
const MAX_ROUNDS = 3;

export async function cleanBurnedInText(dicom: Uint8Array, options: CleanOptions): Promise<BurnedInCleaning> {
  checkPolicy(options?.policy);
  const source = parseImageFile(dicom);
  const detection = await detectInFile(source, options.policy);
  let boxes = detection.boxes.filter((b) => b.identifying);
  const module = readPixelModule(source);
  const unwritable = cannotRewrite(await decodeImageFrame(source, 0));
  if (unwritable && boxes.length > 0)
    return { outcome: 'still-held', reason: `Not cleaned: ${unwritable}.`, boxes };
  for (let round = 1; ; round++) {
    // Each round blanks a fresh copy of the original, so what is written is one blanking of the source.
    const file = round === 1 ? source : parseImageFile(dicom);
    const areas = boxes.map((b) => blankedArea(b, module.columns, module.rows));
    if (boxes.length > 0) await blankFile(file, areas, module.frames);
    // Read back what was written, not what is in memory: the check covers the encoding too.
    const cleaned = parseDicom(new Uint8Array(Buffer.concat(writeDicom(file))));
    const finding = await verifyCleanedFile(cleaned, areas, detection.needles, options.policy);
    if (finding && finding.more.length > 0 && round < MAX_ROUNDS) {
      boxes = [...boxes, ...finding.more];
      continue;
    }
    if (finding)
      return { outcome: 'still-held', reason: `Still held after cleaning: ${finding.reason}.`, boxes };
    recordCleaning(cleaned.dataset, boxes.length);
    const summary =
      boxes.length === 0
        ? `No ${options.policy === 'all-text' ? '' : 'identifying '}burned-in text was found, and a second reading found none.`
        : `${boxes.length} area${boxes.length === 1 ? '' : 's'} of burned-in text blanked; a last reading found none left.`;
    return { outcome: 'cleaned', dicom: new Uint8Array(Buffer.concat(writeDicom(cleaned))), boxes, summary };
  }
}

/**
 * Burned In Annotation NO, and the method in De-identification Method (text) and its Code Sequence
 * (113101 Clean Pixel Data Option); the de-identification engine keeps both when it records its own.
 */
function recordCleaning(ds: DicomDataset, blanked: number): void {
  ds.set(Tags.BurnedInAnnotation, { tag: Tags.BurnedInAnnotation, vr: 'CS', value: encodeText('NO', 'CS') });
  const previous = (getString(ds, Tags.DeidentificationMethod) ?? '').trim();
  const line = `${CLEANING_METHOD_TEXT} (${blanked})`;
  const method = previous ? `${previous}\\${line}` : line;
  ds.set(Tags.DeidentificationMethod, {
    tag: Tags.DeidentificationMethod,
    vr: 'LO',
    value: encodeText(method, 'LO'),
  });
  const item: DicomDataset = new Map();
  const text = (tag: number, vr: 'SH' | 'LO', value: string): void => {
    item.set(tag, { tag, vr, value: encodeText(value, vr) });
  };
  text(Tags.CodeValue, 'SH', CLEAN_PIXEL_DATA_CODE[0]);
  text(Tags.CodingSchemeDesignator, 'SH', 'DCM');
  text(Tags.CodeMeaning, 'LO', CLEAN_PIXEL_DATA_CODE[1]);
  const sequence = Tags.DeidentificationMethodCodeSequence;
  const items = ds.get(sequence)?.items ?? [];
  ds.set(sequence, { tag: sequence, vr: 'SQ', items: [...items, item] });
}
