// The Image Pixel module (PS3.3 C.7.6.3) and the rescale / VOI attributes (C.11.1, C.11.2) that say
// how to read a file's pixel data and turn stored values into modality values.
import { Tags, getString, readNumbers, readStrings, type DicomFile } from '../../dicom/index.ts';
import { TrainError } from '../errors.ts';

export interface PixelModule {
  rows: number;
  columns: number;
  samplesPerPixel: number;
  bitsAllocated: number;
  bitsStored: number;
  pixelRepresentation: 0 | 1;
  photometric: string;
  /** 0: samples interleaved (RGBRGB…), 1: one plane per sample (RR…GG…BB…). */
  planarConfiguration: 0 | 1;
  frames: number;
  rescaleSlope: number;
  rescaleIntercept: number;
  /** The first VOI window in the file, if any. */
  window?: { center: number; width: number };
}

function first(file: DicomFile, tag: number): number | undefined {
  const element = file.dataset.get(tag);
  if (!element) return undefined;
  const value = readNumbers(element, file.transferSyntax)[0];
  return value === undefined || Number.isNaN(value) ? undefined : value;
}

export function readPixelModule(file: DicomFile): PixelModule {
  const need = (tag: number, what: string): number => {
    const value = first(file, tag);
    if (value === undefined) {
      throw new TrainError(
        'unsupported-pixel-data',
        `The file has no ${what}: it is not an image that can be trained on.`,
      );
    }
    return value;
  };
  const rows = need(Tags.Rows, 'Rows (0028,0010)');
  const columns = need(Tags.Columns, 'Columns (0028,0011)');
  const bitsAllocated = need(Tags.BitsAllocated, 'Bits Allocated (0028,0100)');
  const framesText = getString(file.dataset, Tags.NumberOfFrames);
  const centers = file.dataset.get(Tags.WindowCenter);
  const widths = file.dataset.get(Tags.WindowWidth);
  const center = centers ? Number(readStrings(centers)[0]) : NaN;
  const width = widths ? Number(readStrings(widths)[0]) : NaN;
  return {
    rows,
    columns,
    samplesPerPixel: first(file, Tags.SamplesPerPixel) ?? 1,
    bitsAllocated,
    bitsStored: first(file, Tags.BitsStored) ?? bitsAllocated,
    pixelRepresentation: first(file, Tags.PixelRepresentation) === 1 ? 1 : 0,
    photometric: (getString(file.dataset, Tags.PhotometricInterpretation) ?? 'MONOCHROME2')
      .trim()
      .toUpperCase(),
    planarConfiguration: first(file, Tags.PlanarConfiguration) === 1 ? 1 : 0,
    frames: framesText && Number(framesText) > 0 ? Math.floor(Number(framesText)) : 1,
    rescaleSlope: first(file, Tags.RescaleSlope) ?? 1,
    rescaleIntercept: first(file, Tags.RescaleIntercept) ?? 0,
    window: Number.isFinite(center) && Number.isFinite(width) && width > 0 ? { center, width } : undefined,
  };
}
