// The second reading: OCR on the cleaned image, as written, before anything is released. Text
// still readable where a box was blanked, or an identifying value readable anywhere (or, under
// 'all-text', any text at all), keeps the file held.
import type { DicomFile } from '../dicom/index.ts';
import { readPixelModule } from '../train/data/index.ts';
import type { Area } from './blank.ts';
import { framesToRead } from './detect.ts';
import { decodeImageFrame, pictureOf, type Picture } from './frames.ts';
import { identifyingWords } from './identifiers.ts';
import { readWordPasses, type OcrWord } from './ocr.ts';
import type { BurnedInPolicy, TextBox } from './types.ts';

/** Share of a word's box that lies inside an area. */
function shareInside(w: OcrWord, a: Area): number {
  const width = Math.min(w.x + w.width, a.x + a.width) - Math.max(w.x, a.x);
  const height = Math.min(w.y + w.height, a.y + a.height) - Math.max(w.y, a.y);
  return width > 0 && height > 0 ? (width * height) / (w.width * w.height) : 0;
}

/** What a reading of a cleaned picture found wrong: plain words, and new text to blank if any. */
export interface Finding {
  reason: string;
  /**
   * Identifying text (any text under 'all-text') read outside every blanked area: blanking it too
   * and reading again may succeed. Empty when text was read inside a blanked area: never retried.
   */
  more: TextBox[];
}

const boxOf = (w: OcrWord): TextBox => ({
  x: w.x,
  y: w.y,
  width: w.width,
  height: w.height,
  source: 'ocr',
  identifying: true,
});

export async function readCleanedPicture(
  picture: Picture,
  blanked: readonly Area[],
  needles: readonly string[],
  policy: BurnedInPolicy,
): Promise<Finding | null> {
  for (const words of await readWordPasses(picture)) {
    if (words.some((w) => blanked.some((a) => shareInside(w, a) > 0.5))) {
      return { reason: 'text can still be read where it was blanked', more: [] };
    }
    const flags = identifyingWords(words, needles);
    if (flags.some(Boolean)) {
      return {
        reason: "text matching the patient's details can still be read in the image",
        more: words.filter((_, i) => flags[i]).map(boxOf),
      };
    }
    if (policy === 'all-text' && words.length > 0) {
      return { reason: 'text can still be read in the image', more: words.map(boxOf) };
    }
  }
  return null;
}

/** Plain words on why the picture fails the check, or null when it passes. */
export async function verifyPicture(
  picture: Picture,
  blanked: readonly Area[],
  needles: readonly string[],
  policy: BurnedInPolicy,
): Promise<string | null> {
  return (await readCleanedPicture(picture, blanked, needles, policy))?.reason ?? null;
}

/** The second reading over the frames detection read, on the cleaned file. */
export async function verifyCleanedFile(
  file: DicomFile,
  blanked: readonly Area[],
  needles: readonly string[],
  policy: BurnedInPolicy,
): Promise<Finding | null> {
  for (const frame of framesToRead(readPixelModule(file).frames)) {
    const picture = pictureOf(await decodeImageFrame(file, frame));
    const finding = await readCleanedPicture(picture, blanked, needles, policy);
    if (finding) return finding;
  }
  return null;
}
