// `radfed bench burned-in`: on synthetic burned-in radiographs and screen captures (real letters,
// main/site/synth), the share of the identifying strings drawn into the pixels that detection marks,
// the share still recognisable after cleaning (goal 0), pixels changed outside the blanked boxes
// (goal 0), and seconds per image. Strings are compared in memory; only counts are printed.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import {
  blankedArea,
  cleanBurnedInText,
  closeBurnedInOcr,
  detectBurnedInText,
  identifyingNeedles,
  identifyingWords,
  type AgentOnlyText,
  type OcrWord,
  type TextBox,
} from '../../main/site/burned-in/index.ts';
import { encodeText, getString, parseDicom, Tags, type DicomDataset } from '../../main/site/dicom/index.ts';
import { synthesizeStudies } from '../../main/site/synth/index.ts';
import { decodeFrame } from '../../main/site/train/data/index.ts';
import { parsePositiveInt } from '../arguments.ts';

export interface BurnedInBenchResult {
  date: string;
  machine: string;
  corpus: { images: number; size: number; patients: number; seed: number };
  /** Identifying strings drawn (family name, given name, patient ID, birth date per image). */
  strings: number;
  foundBefore: number;
  readableAfter: number;
  cleaned: number;
  stillHeld: number;
  pixelsChangedOutsideBoxes: number;
  secondsPerImage: { detect: number; clean: number };
}

/** The strings drawn into a synthetic image, each as the needles that match it. */
function drawnStrings(ds: DicomDataset): string[][] {
  const one = (tag: number, vr: 'PN' | 'LO' | 'DA', value: string): string[] =>
    identifyingNeedles(new Map([[tag, { tag, vr, value: encodeText(value, vr) }]]));
  const [family = '', given = ''] = (getString(ds, Tags.PatientName) ?? '').split('^');
  return [
    one(Tags.PatientName, 'PN', family),
    one(Tags.PatientName, 'PN', given),
    one(Tags.PatientID, 'LO', getString(ds, Tags.PatientID) ?? ''),
    one(Tags.PatientBirthDate, 'DA', getString(ds, Tags.PatientBirthDate) ?? ''),
  ];
}

/** Whether a string can be read in the given boxes' recognised text. */
function readable(
  needles: string[],
  boxes: readonly TextBox[],
  text: AgentOnlyText,
  only: (b: TextBox) => boolean,
): boolean {
  const words: OcrWord[] = [];
  boxes.forEach((box, i) => {
    if (!only(box)) return;
    (text.get(i) ?? '').split('\n').forEach((reading, k) => {
      for (const w of reading.split(/\s+/))
        words.push({ x: 0, y: 0, width: 1, height: 1, text: w, confidence: 0, line: i * 16 + k });
    });
  });
  return identifyingWords(words, needles).some(Boolean);
}

export async function benchmarkBurnedIn(options: {
  patients: number;
  size: number;
  seed: number;
  log(line: string): void;
}): Promise<BurnedInBenchResult> {
  const tmp = mkdtempSync(join(tmpdir(), 'radfed-bench-burned-in-'));
  try {
    const corpus = await synthesizeStudies({
      outDir: tmp,
      sites: 3,
      patients: Math.ceil(options.patients / 3),
      seed: options.seed,
      radiographSize: options.size,
      modalities: ['RADIOGRAPH'],
    });
    const images = corpus.files
      .map((f) => new Uint8Array(readFileSync(f.path)))
      .filter((bytes) => {
        const ds = parseDicom(bytes).dataset;
        return (
          getString(ds, Tags.Modality)?.trim() === 'OT' ||
          getString(ds, Tags.BurnedInAnnotation)?.trim() === 'YES'
        );
      });
    options.log(`${images.length} images with burned-in text; reading them...`);
    const result: BurnedInBenchResult = {
      date: new Date().toISOString(),
      machine: `${cpus()[0]?.model ?? 'unknown CPU'}, ${availableParallelism()} cores`,
      corpus: { images: images.length, size: options.size, patients: options.patients, seed: options.seed },
      strings: 0,
      foundBefore: 0,
      readableAfter: 0,
      cleaned: 0,
      stillHeld: 0,
      pixelsChangedOutsideBoxes: 0,
      secondsPerImage: { detect: 0, clean: 0 },
    };
    // The first reading starts the OCR worker: not counted.
    if (images[0]) await detectBurnedInText(images[0], { policy: 'identifying' });
    let detectSeconds = 0;
    let cleanSeconds = 0;
    for (const bytes of images) {
      const strings = drawnStrings(parseDicom(bytes).dataset);
      let t = performance.now();
      const detection = await detectBurnedInText(bytes, { policy: 'identifying' });
      detectSeconds += (performance.now() - t) / 1000;
      t = performance.now();
      const cleaning = await cleanBurnedInText(bytes, { policy: 'identifying' });
      cleanSeconds += (performance.now() - t) / 1000;
      result.strings += strings.length;
      for (const s of strings)
        if (readable(s, detection.boxes, detection.agentOnlyText, (b) => b.identifying)) result.foundBefore++;
      if (cleaning.outcome !== 'cleaned') {
        result.stillHeld++;
        continue;
      }
      result.cleaned++;
      // Everything OCR can read in the cleaned image, identifying or not.
      const after = await detectBurnedInText(cleaning.dicom, { policy: 'all-text' });
      for (const s of strings)
        if (readable(s, after.boxes, after.agentOnlyText, () => true)) result.readableAfter++;
      result.pixelsChangedOutsideBoxes += await changedOutside(bytes, cleaning.dicom, cleaning.boxes);
    }
    result.secondsPerImage = {
      detect: images.length ? detectSeconds / images.length : 0,
      clean: images.length ? cleanSeconds / images.length : 0,
    };
    return result;
  } finally {
    await closeBurnedInOcr();
    rmSync(tmp, { recursive: true, force: true });
  }
}

async function changedOutside(
  before: Uint8Array,
  after: Uint8Array,
  boxes: readonly TextBox[],
): Promise<number> {
  const a = await decodeFrame(parseDicom(before));
  const b = await decodeFrame(parseDicom(after));
  const areas = boxes.filter((x) => x.identifying).map((x) => blankedArea(x, a.columns, a.rows));
  let changed = 0;
  for (let y = 0; y < a.rows; y++)
    for (let x = 0; x < a.columns; x++) {
      if (areas.some((r) => x >= r.x && x < r.x + r.width && y >= r.y && y < r.y + r.height)) continue;
      for (let k = 0; k < a.samples; k++) {
        const i = (y * a.columns + x) * a.samples + k;
        if (a.values[i] !== b.values[i]) changed++;
      }
    }
  return changed;
}

export function formatBurnedInBench(r: BurnedInBenchResult): string {
  const pct = (n: number, of: number): string => (of ? `${((100 * n) / of).toFixed(1)}%` : 'n/a');
  return [
    `radfed bench burned-in — ${r.date.slice(0, 10)}, ${r.machine}`,
    `corpus: ${r.corpus.images} synthetic images with burned-in text (${r.corpus.size} px, ${r.corpus.patients} patients, seed ${r.corpus.seed})`,
    `identifying strings drawn:            ${r.strings}`,
    `found before cleaning:                ${r.foundBefore} (${pct(r.foundBefore, r.strings)})`,
    `cleaned / still held:                 ${r.cleaned} / ${r.stillHeld}`,
    `still recognisable after cleaning:    ${r.readableAfter} (goal 0)`,
    `pixels changed outside the boxes:     ${r.pixelsChangedOutsideBoxes} (goal 0)`,
    `seconds per image: detect ${r.secondsPerImage.detect.toFixed(2)}, clean (detect + blank + second reading) ${r.secondsPerImage.clean.toFixed(2)}`,
    '',
  ].join('\n');
}

export function registerBenchBurnedInCommand(bench: Command): void {
  bench
    .command('burned-in')
    .summary('burned-in text: found before cleaning, readable after, pixels changed outside boxes')
    .description(
      "Generates synthetic radiographs and screen captures with a fake patient's name, ID and dates drawn\n" +
        'in real letters, then detects (OCR + header values), cleans and reads each image again.',
    )
    .option(
      '--patients <n>',
      'patients in the synthetic corpus',
      (v) => parsePositiveInt(v, '--patients'),
      90,
    )
    .option('--size <n>', 'image size in pixels', (v) => parsePositiveInt(v, '--size'), 512)
    .option('--seed <n>', 'corpus seed', (v) => parsePositiveInt(v, '--seed'), 7)
    .option('--json', 'print JSON')
    .action(async (flags: { patients: number; size: number; seed: number; json?: boolean }) => {
      const result = await benchmarkBurnedIn({ ...flags, log: (line) => process.stderr.write(`${line}\n`) });
      process.stdout.write(flags.json ? `${JSON.stringify(result, null, 2)}\n` : formatBurnedInBench(result));
    });
}
