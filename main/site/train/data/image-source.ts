// One training image from one DICOM file: from the prepared-image cache when it is there, else read,
// decoded, prepared and cached. Multi-frame files give their middle frame.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { errorCode, safeMessage } from '../../../../shared/log-safety.ts';
import { parseDicom } from '../../dicom/index.ts';
import { TrainError } from '../errors.ts';
import { decodeFrame } from './decode-pixels.ts';
import { readPixelModule } from './pixel-module.ts';
import { prepareImage, type PrepareRecipe } from './prepare-image.ts';
import { cacheKey, readCached, writeCached } from './prepared-cache.ts';

export interface ImageSource {
  /**
   * The prepared image (size × size in [0, 1]) and whether it came from the cache. The cache entry
   * lives in a folder per patient (cacheDir/<pseudonym>/), so a consent withdrawal can purge it.
   */
  load(path: string, patient: string): Promise<{ image: Float32Array; cached: boolean }>;
}

/** Pseudonyms are short and safe as folder names; anything else is refused rather than used as a path. */
const patientFolder = (cacheDir: string, patient: string): string => {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(patient)) {
    throw new TrainError('corrupt-pixel-data', 'A training item has no usable patient pseudonym.');
  }
  return join(cacheDir, patient);
};

export function createImageSource(recipe: PrepareRecipe, cacheDir: string | undefined): ImageSource {
  return {
    async load(path, patient) {
      const key = cacheDir ? await cacheKey(path, recipe) : undefined;
      const dir = cacheDir ? patientFolder(cacheDir, patient) : undefined;
      if (dir && key) {
        const hit = await readCached(dir, key, recipe.size);
        if (hit) return { image: hit, cached: true };
      }
      const image = await prepareFile(path, recipe);
      if (dir && key) await writeCached(dir, key, recipe.size, image);
      return { image, cached: false };
    },
  };
}

export async function prepareFile(path: string, recipe: PrepareRecipe): Promise<Float32Array> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    // The system's message names the path: keep only its code.
    const code = (error as NodeJS.ErrnoException).code ?? 'unknown error';
    throw new TrainError('corrupt-pixel-data', `The file could not be read (${code}).`);
  }
  try {
    const file = parseDicom(new Uint8Array(bytes));
    const frames = readPixelModule(file).frames;
    return prepareImage(await decodeFrame(file, Math.floor(frames / 2)), recipe);
  } catch (error) {
    if (error instanceof TrainError) throw error;
    // Parse errors name tags and offsets only; the path is the caller's to show or not.
    // Our parser's sentences name tags and offsets only; another error's message may quote a value.
    throw new TrainError(
      'corrupt-pixel-data',
      `The image could not be read: ${safeMessage(error) ?? errorCode(error)}`,
      {
        cause: error,
      },
    );
  }
}
