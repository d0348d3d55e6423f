// Series- and instance-level attributes and pixels of the three kinds of synthetic series: axial CT
// slices, a chest radiograph (DX or CR), and a secondary capture (a screen shot with text in it).
import { Tags } from '../dicom/index.ts';
import {
  randomCtAnatomy,
  randomCtNodule,
  renderCtBase,
  renderCtSlice,
  type CtAnatomy,
  type CtNodule,
} from './chest-ct-phantom.ts';
import {
  randomRadiographAnatomy,
  randomRadiographNodule,
  renderRadiograph,
  renderRadiographBase,
} from './chest-radiograph-phantom.ts';
import { drawCapturePage, drawRadiographLabel } from './burned-in-text.ts';
import type { DatasetBuilder } from './dataset-builder.ts';
import { multi } from './dataset-builder.ts';
import { NoiseTable } from './noise-table.ts';
import { overlayDataElement, pixelDataElement } from './pixel-data.ts';
import { Prng } from './prng.ts';
import { processRadiograph, type RadiographStyle } from './radiograph-style.ts';
import { SOP_CT, SOP_DX, SOP_SC, type SiteTraits } from './site-traits.ts';
import type { PatientPlan, SeriesPlan, StudyPlan } from './study-plan.ts';
import { SynthTags as S } from './synth-tags.ts';

export interface ImageSizes {
  ctMatrix: number;
  radiographSize: number;
  /** Optional console processing of radiographs per site (index − 1, cycling); none by default. */
  radiographStyles?: readonly RadiographStyle[];
}

/** Everything one series needs to render its instances; built once per series. */
export interface SeriesContext {
  site: SiteTraits;
  patient: PatientPlan;
  study: StudyPlan;
  series: SeriesPlan;
  sopClassUid: string;
  /** Series-level elements, shared by every instance of the series. */
  shared: DatasetBuilder;
  renderInstance(k: number, b: DatasetBuilder): void;
}

export function seriesContext(
  site: SiteTraits,
  patient: PatientPlan,
  study: StudyPlan,
  series: SeriesPlan,
  sizes: ImageSizes,
  noise: NoiseTable,
  shared: DatasetBuilder,
): SeriesContext {
  const prng = new Prng(study.pixelSeed, series.number);
  const sopClassUid =
    series.kind === 'CT' ? SOP_CT : series.kind === 'RADIOGRAPH' ? site.radiographSop : SOP_SC;
  const modality =
    series.kind === 'CT'
      ? 'CT'
      : series.kind === 'RADIOGRAPH'
        ? sopClassUid === SOP_DX
          ? 'DX'
          : 'CR'
        : 'OT';
  const name = p(patient);
  const description =
    series.kind === 'CT'
      ? `AX LUNG ${site.ct.sliceThicknessMm}mm ${name.value}`
      : series.kind === 'RADIOGRAPH'
        ? `CHEST PA - ${name.value}`
        : `Dose report ${name.value}`;
  shared
    .text(Tags.SOPClassUID, 'UI', sopClassUid)
    .text(Tags.Modality, 'CS', modality)
    .text(Tags.Manufacturer, 'LO', series.kind === 'SECONDARY_CAPTURE' ? 'RadFed Synth' : site.manufacturer)
    .text(
      Tags.ManufacturerModelName,
      'LO',
      series.kind === 'CT'
        ? site.ctModel
        : series.kind === 'RADIOGRAPH'
          ? site.radiographModel
          : 'Viewer Capture',
    )
    .text(S.SoftwareVersions, 'LO', site.softwareVersions)
    .text(Tags.BodyPartExamined, 'CS', 'CHEST')
    .phi('SeriesInstanceUID', Tags.SeriesInstanceUID, 'UI', series.uid, 'uid')
    .numbers(Tags.SeriesNumber, 'IS', [series.number])
    .phi('SeriesDate', Tags.SeriesDate, 'DA', study.studyDate, 'date')
    .text(Tags.SeriesTime, 'TM', series.seriesTime)
    .phi('SeriesDescription', Tags.SeriesDescription, 'LO', description, 'free-text', [name])
    .phi('FrameOfReferenceUID', Tags.FrameOfReferenceUID, 'UI', series.frameOfReferenceUid, 'uid')
    .text(S.PositionReferenceIndicator, 'LO', '');
  const base = { site, patient, study, series, sopClassUid, shared };
  if (series.kind === 'CT') return { ...base, renderInstance: ctRenderer(base, prng, sizes.ctMatrix, noise) };
  if (series.kind === 'RADIOGRAPH') {
    const styles = sizes.radiographStyles;
    const style = styles && styles.length > 0 ? styles[(site.index - 1) % styles.length] : undefined;
    return { ...base, renderInstance: radiographRenderer(base, prng, sizes.radiographSize, noise, style) };
  }
  return { ...base, renderInstance: secondaryCaptureRenderer(base, sizes.radiographSize) };
}

type Base = Omit<SeriesContext, 'renderInstance'>;

const p = (patient: PatientPlan) => ({ value: patient.name.natural, kind: 'name' as const });

/** Instance-level attributes every kind shares: identity, dates and times, comments. */
function addInstanceCommon(base: Base, k: number, b: DatasetBuilder, time: string): void {
  const { study, patient, series } = base;
  const uid = series.instanceUids[k]!;
  b.phi('SOPInstanceUID', Tags.SOPInstanceUID, 'UI', uid, 'uid')
    .numbers(Tags.InstanceNumber, 'IS', [k + 1])
    .phi('InstanceCreationDate', Tags.InstanceCreationDate, 'DA', study.studyDate, 'date')
    .text(Tags.InstanceCreationTime, 'TM', time)
    .phi('AcquisitionDate', Tags.AcquisitionDate, 'DA', study.studyDate, 'date')
    .text(Tags.AcquisitionTime, 'TM', time)
    .phi('ContentDate', Tags.ContentDate, 'DA', study.studyDate, 'date')
    .text(Tags.ContentTime, 'TM', time)
    .phi('AcquisitionDateTime', Tags.AcquisitionDateTime, 'DT', `${study.studyDate}${time}.000000`, 'date', [
      { value: study.studyDate, kind: 'date' },
    ])
    .phi(
      'ImageComments',
      Tags.ImageComments,
      'LT',
      `Pt ${patient.name.natural} (${patient.patientId}) tolerated well`,
      'free-text',
      [p(patient), { value: patient.patientId, kind: 'id' }],
    )
    .phi(
      'OverlayComments',
      S.OverlayComments,
      'LT',
      `Marker placed by ${study.operator.split('^')[0]} for ${patient.name.natural}`,
      'free-text',
      [p(patient)],
    );
}

/** HHMMSS plus `seconds`. */
function timePlus(time: string, seconds: number): string {
  const t =
    Number(time.slice(0, 2)) * 3600 + Number(time.slice(2, 4)) * 60 + Number(time.slice(4, 6)) + seconds;
  const hh = Math.floor(t / 3600) % 24;
  return [hh, Math.floor(t / 60) % 60, t % 60].map((n) => String(n).padStart(2, '0')).join('');
}

function addGrayscalePixelModule(
  b: DatasetBuilder,
  rows: number,
  cols: number,
  bits: number,
  stored: number,
  signed: boolean,
): void {
  b.numbers(Tags.SamplesPerPixel, 'US', [1])
    .text(Tags.PhotometricInterpretation, 'CS', 'MONOCHROME2')
    .numbers(Tags.Rows, 'US', [rows])
    .numbers(Tags.Columns, 'US', [cols])
    .numbers(Tags.BitsAllocated, 'US', [bits])
    .numbers(Tags.BitsStored, 'US', [stored])
    .numbers(Tags.HighBit, 'US', [stored - 1])
    .numbers(Tags.PixelRepresentation, 'US', [signed ? 1 : 0]);
}

function ctRenderer(
  base: Base,
  prng: Prng,
  matrix: number,
  noise: NoiseTable,
): SeriesContext['renderInstance'] {
  const { site, study, series, shared } = base;
  const ct = site.ct;
  const slices = series.instanceUids.length;
  const slabMm = slices * ct.sliceThicknessMm;
  const anatomy: CtAnatomy = randomCtAnatomy(prng);
  const nodule: CtNodule | null = study.label === 1 ? randomCtNodule(prng, ct.fovMm, slabMm) : null;
  const image = renderCtBase(anatomy, matrix);
  const spacing = ct.fovMm / matrix;
  const corner = -ct.fovMm / 2 + spacing / 2;
  const tableStart = Math.round(prng.range(-200, -100));
  const offsets = Array.from({ length: slices }, () => NoiseTable.offset(prng));
  shared
    .text(Tags.ImageType, 'CS', multi('ORIGINAL', 'PRIMARY', 'AXIAL'))
    .numbers(S.SliceThickness, 'DS', [ct.sliceThicknessMm])
    .numbers(S.KVP, 'DS', [ct.kvp])
    .text(S.ConvolutionKernel, 'SH', ct.kernel)
    .text(S.PatientPosition, 'CS', 'HFS')
    .numbers(S.AcquisitionNumber, 'IS', [1])
    .numbers(S.ImageOrientationPatient, 'DS', [1, 0, 0, 0, 1, 0])
    .numbers(Tags.PixelSpacing, 'DS', [spacing, spacing])
    .numbers(Tags.WindowCenter, 'DS', [-600, 40])
    .numbers(Tags.WindowWidth, 'DS', [1500, 400])
    .numbers(Tags.RescaleIntercept, 'DS', [ct.signed ? 0 : -1024])
    .numbers(Tags.RescaleSlope, 'DS', [1])
    .text(Tags.RescaleType, 'LO', 'HU');
  addGrayscalePixelModule(shared, matrix, matrix, 16, 16, ct.signed);
  return (k, b) => {
    const zMm = (k - (slices - 1) / 2) * ct.sliceThicknessMm;
    const z = tableStart - k * ct.sliceThicknessMm;
    addInstanceCommon(base, k, b, timePlus(series.seriesTime, 5 + Math.floor(k / 10)));
    b.numbers(S.ImagePositionPatient, 'DS', [corner, corner, z]).numbers(S.SliceLocation, 'DS', [z]);
    const pixels = renderCtSlice(
      image,
      matrix,
      nodule,
      zMm,
      {
        huScale: ct.huScale,
        huOffset: ct.huOffset,
        noiseHu: ct.noiseHu,
        storedBias: ct.signed ? 0 : 1024,
        signed: ct.signed,
      },
      noise,
      offsets[k]!,
    );
    b.ds.set(Tags.PixelData, pixelDataElement(pixels, matrix, matrix, b.ts));
  };
}

function radiographRenderer(
  base: Base,
  prng: Prng,
  size: number,
  noise: NoiseTable,
  style?: RadiographStyle,
): SeriesContext['renderInstance'] {
  const { site, study, series, shared } = base;
  const r = style?.noise === undefined ? site.radiograph : { ...site.radiograph, noise: style.noise };
  const anatomy = randomRadiographAnatomy(prng);
  const drawn = study.label === 1 ? randomRadiographNodule(prng) : null;
  // A magnified chest magnifies its nodule too.
  const zoom = style?.zoom ?? 1;
  const nodule =
    drawn && zoom !== 1
      ? { ...drawn, x: drawn.x * zoom, y: drawn.y * zoom, radius: drawn.radius * zoom }
      : drawn;
  const noiseOffset = NoiseTable.offset(prng);
  const spacing = r.detectorMm / size;
  const max = 2 ** r.bitsStored - 1;
  shared
    .text(Tags.ImageType, 'CS', multi('ORIGINAL', 'PRIMARY'))
    .text(S.ViewPosition, 'CS', 'PA')
    .text(S.PatientOrientation, 'CS', multi('L', 'F'))
    .numbers(S.KVP, 'DS', [prng.int(110, 125)])
    .numbers(S.ImagerPixelSpacing, 'DS', [spacing, spacing])
    .numbers(Tags.PixelSpacing, 'DS', [spacing, spacing])
    .numbers(Tags.WindowCenter, 'DS', [Math.round((0.33 * r.gain + r.offset) * max)])
    .numbers(Tags.WindowWidth, 'DS', [Math.round(0.7 * r.gain * max)])
    .numbers(Tags.RescaleIntercept, 'DS', [0])
    .numbers(Tags.RescaleSlope, 'DS', [1])
    .text(Tags.BurnedInAnnotation, 'CS', study.burnedIn ? 'YES' : 'NO');
  if (base.sopClassUid === SOP_DX) shared.text(S.PresentationIntentType, 'CS', 'FOR PRESENTATION');
  addGrayscalePixelModule(shared, size, size, 16, r.bitsStored, false);
  // A laterality marker as an overlay plane (PS3.3 C.9.2), as radiography consoles write them.
  const marker = (row: number, col: number): boolean =>
    row > size * 0.86 && row < size * 0.94 && col > size * 0.86 && col < size * 0.9;
  shared
    .numbers(S.OverlayRows, 'US', [size])
    .numbers(S.OverlayColumns, 'US', [size])
    .text(S.OverlayType, 'CS', 'G')
    .numbers(S.OverlayOrigin, 'SS', [1, 1])
    .numbers(S.OverlayBitsAllocated, 'US', [1])
    .numbers(S.OverlayBitPosition, 'US', [0]);
  shared.ds.set(S.OverlayData, overlayDataElement(size, size, marker, shared.ts));
  const image = renderRadiographBase(anatomy, size, zoom);
  const process = style ? (pixels: Float32Array) => processRadiograph(pixels, size, style) : undefined;
  return (k, b) => {
    addInstanceCommon(base, k, b, timePlus(series.seriesTime, 30));
    const label = study.burnedIn
      ? (pixels: Float32Array) => void drawRadiographLabel(pixels, size, base.patient, study)
      : undefined;
    const pixels = renderRadiograph(image, size, nodule, r, noise, noiseOffset, label, process);
    b.ds.set(Tags.PixelData, pixelDataElement(pixels, size, size, b.ts));
  };
}

/**
 * A viewer screen capture: the patient's name, ID and dates in real letters over a page, with no
 * Burned In Annotation attribute.
 */
function secondaryCaptureRenderer(base: Base, size: number): SeriesContext['renderInstance'] {
  const { study, series, shared } = base;
  shared.text(Tags.ImageType, 'CS', multi('DERIVED', 'SECONDARY')).text(Tags.ConversionType, 'CS', 'WSD');
  addGrayscalePixelModule(shared, size, size, 8, 8, false);
  return (k, b) => {
    const time = timePlus(series.seriesTime, 60);
    addInstanceCommon(base, k, b, time);
    b.phi('DateOfSecondaryCapture', S.DateOfSecondaryCapture, 'DA', study.studyDate, 'date').text(
      S.TimeOfSecondaryCapture,
      'TM',
      time,
    );
    const pixels = new Uint8Array(size * size);
    drawCapturePage(pixels, size, base.patient, study);
    b.ds.set(Tags.PixelData, pixelDataElement(pixels, size, size, b.ts));
  };
}
