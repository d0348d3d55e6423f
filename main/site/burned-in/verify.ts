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
import type { BurnedInPolicy } from './types.ts';

/** Share of a word's box that lies inside an area. */
function shareInside(w: OcrWord, a: Area): number {
  const width = Math.min(w.x + w.width, a.x + a.width) - Math.max(w.x, a.x);
  const height = Math.min(w.y + w.height, a.y + a.height) - Math.max(w.y, a.y);
  return width > 0 && height > 0 ? (width * height) / (w.width * w.height) : 0;
}

/** Plain words on why the picture fails the check, or null when it passes. */
export async function verifyPicture(
  picture: Picture,
  blanked: readonly Area[],
  needles: readonly string[],
  policy: BurnedInPolicy,
): Promise<string | null> {
  for (const words of await readWordPasses(picture)) {
    if (words.some((w) => blanked.some((a) => shareInside(w, a) > 0.5))) {
      return 'text can still be read where it was blanked';
    }
    if (identifyingWords(words, needles).some(Boolean)) {
      return "text matching the patient's details can still be read in the image";
    }
    if (policy === 'all-text' && words.length > 0) return 'text can still be read in the image';
  }
  return null;
}

/** The second reading over the frames detection read, on the cleaned file. */
export async function verifyCleanedFile(
  file: DicomFile,
  blanked: readonly Area[],
  needles: readonly string[],
  policy: BurnedInPolicy,
): Promise<string | null> {
  for (const frame of framesToRead(readPixelModule(file).frames)) {
    const reason = await verifyPicture(
      pictureOf(await decodeImageFrame(file, frame)),
      blanked,
      needles,
      policy,
    );
    if (reason) return reason;
  }
  return null;
}
