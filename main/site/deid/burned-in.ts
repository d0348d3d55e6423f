// Burned-in text (PS3.15 E.1.1, Clean Pixel Data Option E.3.1): identifying text drawn into the
// pixels cannot be removed by editing the header. So an image that says it has burned-in annotation,
// or that comes from a modality or SOP class where burned-in text is common, is held back unless
// Burned In Annotation (0028,0301) explicitly says NO. Pixel cleaning (main/site/burned-in) writes
// NO only after it has blanked the text and a second OCR reading found none; a held file reaches it
// through the review queue.
import type { DicomDataset } from '../dicom/index.ts';
import { getString, Tags } from '../dicom/index.ts';

/** Modalities whose images routinely carry text drawn into the pixels. */
const AT_RISK_MODALITIES: ReadonlyMap<string, string> = new Map([
  ['US', 'ultrasound'],
  ['IVUS', 'intravascular ultrasound'],
  ['XC', 'external-camera photography'],
  ['ES', 'endoscopy'],
  ['GM', 'general microscopy'],
  ['SM', 'slide microscopy'],
  ['OP', 'ophthalmic photography'],
  ['OT', 'other (often screenshots)'],
  ['SC', 'secondary capture'],
  ['DOC', 'scanned document'],
]);

const SOP_CLASS_ROOT = '1.2.840.10008.5.1.4.1.1.';

/** SOP classes (below 1.2.840.10008.5.1.4.1.1.) that are captures, photographs, videos or ultrasound. */
const AT_RISK_SOP_CLASSES: readonly (readonly [string, string])[] = [
  ['7', 'secondary capture'], // 7, 7.1 .. 7.4 (multi-frame secondary capture)
  ['6', 'ultrasound'], // 6.1 US Image, 6.2 Enhanced US Volume, 6 (retired)
  ['3', 'ultrasound multi-frame'], // 3.1 US Multi-frame, 3 (retired)
  ['77.1', 'visible light (photographic, endoscopic, microscopic or video)'], // 77.1.x
  ['14', 'intravascular imaging'], // 14.1 IVOCT, 14.2
];

function riskySopClass(uid: string): string | undefined {
  if (!uid.startsWith(SOP_CLASS_ROOT)) return undefined;
  const rest = uid.slice(SOP_CLASS_ROOT.length);
  for (const [prefix, what] of AT_RISK_SOP_CLASSES)
    if (rest === prefix || rest.startsWith(`${prefix}.`)) return what;
  return undefined;
}

const hasPixels = (ds: DicomDataset): boolean =>
  ds.has(Tags.PixelData) || ds.has(Tags.FloatPixelData) || ds.has(Tags.DoubleFloatPixelData);

const HOLD = 'not released: burned-in text';
const UNLESS_NO =
  'and Burned In Annotation (0028,0301) does not say NO; held until its pixels are cleaned or a person releases it';

/** Why an image must be held for burned-in text, or null when it may be released. */
export function burnedInTextRisk(ds: DicomDataset, sopClassUid: string): string | null {
  if (!hasPixels(ds)) return null;
  const flag = (getString(ds, Tags.BurnedInAnnotation) ?? '').trim().toUpperCase();
  if (flag === 'YES') {
    return `${HOLD}: Burned In Annotation (0028,0301) is YES; held until its pixels are cleaned or a person releases it`;
  }
  if (flag === 'NO') return null;
  const modality = (getString(ds, Tags.Modality) ?? '').trim().toUpperCase();
  const modalityRisk = AT_RISK_MODALITIES.get(modality);
  if (modalityRisk) return `${HOLD} risk: modality ${modality} (${modalityRisk}) ${UNLESS_NO}`;
  const sopRisk = riskySopClass(sopClassUid);
  if (sopRisk) return `${HOLD} risk: a ${sopRisk} SOP class ${UNLESS_NO}`;
  if (ds.has(Tags.ConversionType)) {
    return `${HOLD} risk: a converted image (Conversion Type (0008,0064) present: capture, scan or screenshot) ${UNLESS_NO}`;
  }
  const imageType = (getString(ds, Tags.ImageType) ?? '').toUpperCase();
  if (/SCREEN|SNAPSHOT|CAPTURE/.test(imageType)) {
    return `${HOLD} risk: Image Type (0008,0008) marks a screen capture ${UNLESS_NO}`;
  }
  return null;
}

/** Encapsulated documents (PDF, CDA, 3D models) carry free content this engine cannot clean. */
export function documentRisk(sopClassUid: string): string | null {
  if (sopClassUid.startsWith(`${SOP_CLASS_ROOT}104.`)) {
    return 'not released: an encapsulated document (PDF, CDA or 3D model) whose content cannot be checked for identifiers';
  }
  return null;
}
