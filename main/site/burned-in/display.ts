// The preview the review queue shows: rendered in the agent from the quarantined original, windowed
// for display, small, as a PNG. The image never leaves the machine; only this preview reaches the
// local screen.
import { BurnedInError } from './errors.ts';
import { decodeImageFrame, downscale, parseImageFile, pictureOf } from './frames.ts';
import { encodePng } from './png.ts';

export interface DisplayOptions {
  /** Longest side of the preview in pixels (default 512; the image is never enlarged). */
  maxSize?: number;
  /** Zero-based frame of a multi-frame image (default 0). */
  frame?: number;
}

export async function renderForDisplay(
  dicom: Uint8Array,
  options: DisplayOptions = {},
): Promise<{ png: Uint8Array; width: number; height: number }> {
  const maxSize = options.maxSize ?? 512;
  if (!Number.isInteger(maxSize) || maxSize < 16 || maxSize > 8192) {
    throw new BurnedInError(
      'invalid-option',
      'The preview size must be a whole number of pixels from 16 to 8192.',
    );
  }
  const file = parseImageFile(dicom);
  const picture = downscale(pictureOf(await decodeImageFrame(file, options.frame ?? 0)), maxSize);
  return {
    png: encodePng(picture.data, picture.width, picture.height, picture.channels),
    width: picture.width,
    height: picture.height,
  };
}
