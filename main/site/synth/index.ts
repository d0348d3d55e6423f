// Synthetic multi-site DICOM studies for tests, demos and benchmarks: fake patients with fake PHI in
// the places real PHI hides, site-specific scanner traits, and a learnable finding labelled per study.
export { synthesizeStudies, SynthError, SYNTH_LABELS } from './synthesize.ts';
export type { SynthFile, SynthOptions, SynthResult, SynthStudy } from './synthesize.ts';
export type { PlantedKind, PlantedValue } from './dataset-builder.ts';
export type { StudyKind } from './study-plan.ts';
export type { RadiographStyle } from './radiograph-style.ts';
export { SYNTH_UID_ROOT } from './study-plan.ts';
export { PHI_PRIVATE_CREATOR } from './phi-attributes.ts';
export { SITE_TRANSFER_SYNTAXES } from './site-traits.ts';
export { drawText, SYNTH_FONTS } from './text-raster.ts';
export type { SynthFontName } from './text-raster.ts';
// The RLE Lossless encoder (PS3.5 G), also used to rewrite cleaned RLE images (main/site/burned-in).
export { encapsulateFrames, encodeRleFrame } from './rle-lossless.ts';
