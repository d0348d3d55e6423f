// Real burned-in text for synthetic images: the patient's fake name, ID and dates drawn in real
// letters (three DejaVu faces, several sizes and date spellings), so that detection, cleaning and
// the demo exercise real OCR. Every choice comes from the study's pixel seed: same seed, same image.
import { Prng } from './prng.ts';
import type { PatientPlan, StudyPlan } from './study-plan.ts';
import { drawText, type SynthFontName } from './text-raster.ts';

const FONTS: readonly SynthFontName[] = ['sans', 'mono-bold', 'serif'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** A DICOM date (YYYYMMDD) as a console might print it. */
export function printedDate(yyyymmdd: string, style: number): string {
  const y = yyyymmdd.slice(0, 4);
  const m = yyyymmdd.slice(4, 6);
  const d = yyyymmdd.slice(6, 8);
  switch (style % 4) {
    case 0:
      return `${d}/${m}/${y}`;
    case 1:
      return `${y}-${m}-${d}`;
    case 2:
      return `${d}-${MONTHS[Number(m) - 1]}-${y}`;
    default:
      return yyyymmdd;
  }
}

/** The identifying lines a console burns in, in the order drawn. */
export function burnedInLines(patient: PatientPlan, study: StudyPlan, prng: Prng): string[] {
  const style = prng.int(0, 3);
  const name = prng.chance(0.5)
    ? `${patient.name.family.toUpperCase()}, ${patient.name.given}`
    : patient.name.natural;
  return [
    name,
    `ID ${patient.patientId}`,
    `DOB ${printedDate(patient.birthDate, style)}`,
    `${printedDate(study.studyDate, style)}  ${study.accessionNumber}`,
  ];
}

export interface BurnedInLayout {
  font: SynthFontName;
  /** Text height in pixels (ascender to descender). */
  height: number;
}

function layoutFor(size: number, prng: Prng): BurnedInLayout {
  const font = prng.pick(FONTS);
  // Big enough to read on the image: 5 to 7% of the side, never under 12 px.
  const height = Math.max(12, Math.round(size * prng.range(0.05, 0.07)));
  return { font, height };
}

/**
 * Draws the label a radiography console burns into the top-left corner, on a 0..1 float image.
 * Returns the text's boxes (pixels), for tests and the benchmark.
 */
export function drawRadiographLabel(
  image: Float32Array,
  size: number,
  patient: PatientPlan,
  study: StudyPlan,
): { x: number; y: number; width: number; height: number }[] {
  const prng = new Prng(study.pixelSeed, 0x7e47);
  const lines = burnedInLines(patient, study, prng).slice(0, 3);
  const { font, height } = layoutFor(size, prng);
  const margin = Math.round(size * 0.03);
  return lines.map((line, i) =>
    drawText(image, size, size, line, {
      x: margin,
      y: margin + Math.round(i * height * 1.3),
      height,
      font,
      value: 0.97,
    }),
  );
}

/**
 * A viewer screen capture: a header band with the patient's identity, a grey page, and a few lines of
 * report-like text below, on an 8-bit page of 0..255 values.
 */
export function drawCapturePage(
  page: Uint8Array,
  size: number,
  patient: PatientPlan,
  study: StudyPlan,
): { x: number; y: number; width: number; height: number }[] {
  const prng = new Prng(study.pixelSeed, 0xca9);
  const [name = '', id = '', dob = '', studyLine = ''] = burnedInLines(patient, study, prng);
  const { font, height } = layoutFor(size, prng);
  const band = Math.round(size * 0.1);
  page.fill(40);
  for (let i = band * size; i < page.length; i++) page[i] = 200;
  const small = Math.max(12, Math.round(height * 0.8));
  const boxes = [
    drawText(page, size, size, `${name}  ${id}`, {
      x: 4,
      y: Math.max(0, Math.round((band - small) / 2)),
      height: small,
      font,
      value: 250,
    }),
  ];
  const left = Math.round(size * 0.06);
  const lines = [dob, studyLine, 'Dose report'];
  lines.forEach((line, i) => {
    boxes.push(
      drawText(page, size, size, line, {
        x: left,
        y: band + Math.round(size * 0.08) + Math.round(i * height * 1.5),
        height,
        font,
        value: 20,
      }),
    );
  });
  return boxes;
}
