// Data: pixel decoding for the transfer syntaxes hospitals send, preparation into training images,
// a prepared-image cache on disk, augmentation, and a streaming batch loader.
export { decodeFrame } from './decode-pixels.ts';
export type { DecodedFrame, PixelArray } from './decode-pixels.ts';
export { readPixelModule } from './pixel-module.ts';
export type { PixelModule } from './pixel-module.ts';
export { modalityValues, percentileWindow, prepareImage, resize } from './prepare-image.ts';
export type { PrepareRecipe } from './prepare-image.ts';
export { cacheKey, PREPARATION_VERSION, readCached, writeCached } from './prepared-cache.ts';
export { createImageSource, prepareFile } from './image-source.ts';
export { augmentImage } from './augment.ts';
export type { AugmentOptions } from './augment.ts';
export { BatchLoader } from './batch-loader.ts';
export type { Batch, BatchLoaderOptions, LabelledImage } from './batch-loader.ts';
export { SeededRandom } from './seeded-random.ts';
