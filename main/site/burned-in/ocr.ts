// Local OCR with tesseract.js: one worker, created on first use and reused, with the English LSTM
// model read from node_modules (@tesseract.js-data/eng). Nothing is fetched and nothing is cached
// to disk: a missing model is an error that says how to restore it, never a download.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { createWorker, OEM, PSM, type Worker } from 'tesseract.js';
import { BurnedInError } from './errors.ts';
import type { Picture } from './frames.ts';
import { encodePng } from './png.ts';

/** One word the OCR read, in the picture's pixel coordinates. `text` is agent-only. */
export interface OcrWord {
  x: number;
  y: number;
  width: number;
  height: number;
  text: string;
  confidence: number;
  /** Index of the line the word belongs to (words of one line share it). */
  line: number;
}

const MODEL_FILE = 'eng.traineddata.gz';

/**
 * The folder holding the English model. RADFED_OCR_MODEL_DIR may name another folder holding
 * eng.traineddata.gz (an air-gapped site with its own model; the tests use it for the missing case).
 */
export function ocrModelDirectory(): string {
  const override = process.env['RADFED_OCR_MODEL_DIR'];
  if (override) return override;
  try {
    const require = createRequire(import.meta.url);
    return join(dirname(require.resolve('@tesseract.js-data/eng/package.json')), '4.0.0_best_int');
  } catch {
    return '';
  }
}

const MODEL_HELP =
  'reinstall RadFed (or run npm ci), or set RADFED_OCR_MODEL_DIR to a folder holding eng.traineddata.gz.';

/**
 * Whether the model file is a whole traineddata file: gzip that inflates to a table of contents (an
 * entry count, then one 64-bit offset per entry, -1 for an absent one) whose offsets lie in the file.
 * Checked before the engine sees it: tesseract.js 7 answers a damaged model with an exception thrown
 * in its worker's message handler, which no caller can catch and which would stop the agent.
 */
function modelLooksWhole(path: string): boolean {
  let data: Buffer;
  try {
    data = gunzipSync(readFileSync(path));
  } catch {
    return false;
  }
  if (data.length < 4) return false;
  const entries = data.readInt32LE(0);
  const tableEnd = 4 + entries * 8;
  if (entries < 1 || entries > 64 || tableEnd > data.length) return false;
  let present = 0;
  for (let i = 0; i < entries; i++) {
    const offset = Number(data.readBigInt64LE(4 + i * 8));
    if (offset === -1) continue;
    if (offset < tableEnd || offset >= data.length) return false;
    present++;
  }
  return present > 0;
}

let worker: Promise<Worker> | null = null;
let workerModel = '';

async function startWorker(modelDir: string): Promise<Worker> {
  try {
    const w = await createWorker('eng', OEM.LSTM_ONLY, {
      langPath: modelDir,
      gzip: true,
      cacheMethod: 'none',
      errorHandler: () => undefined,
    });
    // Sparse text: burned-in text is scattered labels, not a page of paragraphs. A set resolution
    // stops the engine guessing one; its other diagnostics go nowhere rather than to the console.
    await w.setParameters({
      tessedit_pageseg_mode: PSM.SPARSE_TEXT,
      user_defined_dpi: '300',
      debug_file: '/dev/null',
    });
    return w;
  } catch (cause) {
    throw new BurnedInError('ocr-failed', 'The text reader (OCR) could not start: reinstall RadFed.', {
      cause,
    });
  }
}

function ocrWorker(): Promise<Worker> {
  const modelDir = ocrModelDirectory();
  if (!modelDir || !existsSync(join(modelDir, MODEL_FILE))) {
    throw new BurnedInError(
      'ocr-model-missing',
      `The English text-recognition model is missing, so burned-in text cannot be checked: ${MODEL_HELP}`,
    );
  }
  if (worker && workerModel === modelDir) return worker;
  if (!modelLooksWhole(join(modelDir, MODEL_FILE))) {
    throw new BurnedInError(
      'ocr-model-damaged',
      `The English text-recognition model is damaged, so burned-in text cannot be checked: ${MODEL_HELP}`,
    );
  }
  if (worker) void closeBurnedInOcr();
  workerModel = modelDir;
  worker = startWorker(modelDir);
  worker.catch(() => {
    worker = null;
  });
  return worker;
}

/** Stops the shared OCR worker (tests, and a command before it exits). */
export async function closeBurnedInOcr(): Promise<void> {
  const w = worker;
  worker = null;
  workerModel = '';
  if (w) await (await w.catch(() => null))?.terminate();
}

export function greyOf(picture: Picture): Uint8Array {
  if (picture.channels === 1) return picture.data;
  const out = new Uint8Array(picture.width * picture.height);
  for (let i = 0; i < out.length; i++) {
    const p = i * 3;
    out[i] = Math.round(
      0.299 * picture.data[p]! + 0.587 * picture.data[p + 1]! + 0.114 * picture.data[p + 2]!,
    );
  }
  return out;
}

/** Nearest-neighbour enlargement: small burned-in text reads far better at twice the size. */
function enlarge(grey: Uint8Array, width: number, height: number, k: number): Uint8Array {
  const out = new Uint8Array(width * k * height * k);
  for (let y = 0; y < height * k; y++) {
    const row = Math.floor(y / k) * width;
    for (let x = 0; x < width * k; x++) out[y * width * k + x] = grey[row + Math.floor(x / k)]!;
  }
  return out;
}

/**
 * The pictures OCR reads: the picture itself, and, when few pixels sit near the top of the display
 * range, those pixels alone as black on white, at two depths (the very top, where a console burns
 * its text, and a band below it that keeps anti-aliased strokes whole). Text over bright anatomy is
 * lost in the first picture but stands alone in the others. Measured: docs/benchmarks.md.
 */
function passesOf(picture: Picture): Uint8Array[] {
  const grey = greyOf(picture);
  let top = 0;
  for (const v of grey) if (v > top) top = v;
  const passes = [grey];
  for (const depth of [4, 48]) {
    const mask = new Uint8Array(grey.length);
    let lit = 0;
    for (let i = 0; i < grey.length; i++) {
      const on = grey[i]! >= top - depth;
      mask[i] = on ? 0 : 255;
      if (on) lit++;
    }
    if (lit > 0 && lit < grey.length * 0.3) passes.push(mask);
  }
  return passes;
}

/** The words read in each pass over a picture (see passesOf), with their boxes. */
export async function readWordPasses(picture: Picture): Promise<OcrWord[][]> {
  const out: OcrWord[][] = [];
  for (const grey of passesOf(picture)) out.push(await readWords(grey, picture.width, picture.height));
  return out;
}

/** The words read in a grey picture, with their boxes. Words without a letter or digit are dropped. */
async function readWords(grey: Uint8Array, width: number, height: number): Promise<OcrWord[]> {
  const w = await ocrWorker();
  const k = Math.max(width, height) <= 1024 ? 2 : 1;
  const picture = { width, height };
  const png = encodePng(
    k === 1 ? grey : enlarge(grey, picture.width, picture.height, k),
    picture.width * k,
    picture.height * k,
    1,
  );
  let result;
  try {
    result = await w.recognize(Buffer.from(png), {}, { blocks: true, text: false });
  } catch (cause) {
    throw new BurnedInError(
      'ocr-failed',
      'The text reader (OCR) failed on this image: keep it held and report the fault.',
      {
        cause,
      },
    );
  }
  const words: OcrWord[] = [];
  let line = 0;
  for (const block of result.data.blocks ?? [])
    for (const paragraph of block.paragraphs)
      for (const l of paragraph.lines) {
        for (const word of l.words) {
          if (!/[\p{L}\p{N}]/u.test(word.text)) continue;
          const x0 = Math.floor(word.bbox.x0 / k);
          const y0 = Math.floor(word.bbox.y0 / k);
          words.push({
            x: x0,
            y: y0,
            width: Math.max(1, Math.ceil(word.bbox.x1 / k) - x0),
            height: Math.max(1, Math.ceil(word.bbox.y1 / k) - y0),
            text: word.text,
            confidence: word.confidence,
            line,
          });
        }
        line++;
      }
  return words;
}
