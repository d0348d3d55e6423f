// Detection: OCR on the frames a person would look at, boxes for the words read, the words that
// spell a header value marked identifying, and the areas of matching manufacturer/model rules.
import type { DicomFile } from '../dicom/index.ts';
import { BurnedInError } from './errors.ts';
import { decodeImageFrame, parseImageFile, pictureOf } from './frames.ts';
import { identifyingNeedles, identifyingWords } from './identifiers.ts';
import { readWordPasses, type OcrWord } from './ocr.ts';
import { ruleAreas } from './rules.ts';
import { AgentOnlyText, type BurnedInDetection, type BurnedInPolicy, type TextBox } from './types.ts';
import { readPixelModule } from '../train/data/index.ts';

export interface DetectOptions {
  policy: BurnedInPolicy;
}

export const POLICIES: readonly BurnedInPolicy[] = ['identifying', 'all-text'];

export function checkPolicy(policy: unknown): asserts policy is BurnedInPolicy {
  if (!POLICIES.includes(policy as BurnedInPolicy)) {
    throw new BurnedInError(
      'invalid-option',
      "The burned-in text policy must be 'identifying' or 'all-text'.",
    );
  }
}

/**
 * The frames OCR reads: every frame of a short series, else the first, middle and last (text on a
 * cine loop is drawn by the console at the same place on every frame).
 */
export function framesToRead(count: number): number[] {
  if (count <= 8) return Array.from({ length: count }, (_, i) => i);
  return [0, Math.floor(count / 2), count - 1];
}

/** Runs of neighbouring words on one line with the same flag, merged into one box. */
function mergeWords(
  words: readonly OcrWord[],
  flags: readonly boolean[],
): { box: TextBox; text: string; flag: boolean }[] {
  const out: { box: TextBox; text: string; line: number; flag: boolean }[] = [];
  words.forEach((w, i) => {
    const flag = flags[i]!;
    const last = out[out.length - 1];
    const gap = last ? w.x - (last.box.x + last.box.width) : Infinity;
    if (last && last.line === w.line && last.flag === flag && gap >= 0 && gap <= 1.5 * w.height) {
      const right = Math.max(last.box.x + last.box.width, w.x + w.width);
      const bottom = Math.max(last.box.y + last.box.height, w.y + w.height);
      last.box.y = Math.min(last.box.y, w.y);
      last.box.width = right - last.box.x;
      last.box.height = bottom - last.box.y;
      last.text += ` ${w.text}`;
      return;
    }
    out.push({
      box: { x: w.x, y: w.y, width: w.width, height: w.height, source: 'ocr', identifying: flag },
      text: w.text,
      line: w.line,
      flag,
    });
  });
  return out;
}

export interface FileDetection extends BurnedInDetection {
  needles: string[];
}

/** Detection on a parsed file (cleaning reuses it). */
export async function detectInFile(file: DicomFile, policy: BurnedInPolicy): Promise<FileDetection> {
  checkPolicy(policy);
  let module;
  try {
    module = readPixelModule(file);
  } catch (cause) {
    throw new BurnedInError(
      'not-an-image',
      'The file holds no image that can be checked for burned-in text.',
      { cause },
    );
  }
  const needles = identifyingNeedles(file.dataset);
  const boxes: TextBox[] = [];
  const agentOnlyText = new AgentOnlyText();
  let text = 0;
  let identifyingText = 0;
  for (const frame of framesToRead(module.frames)) {
    for (const words of await readWordPasses(pictureOf(await decodeImageFrame(file, frame)))) {
      const flags = identifyingWords(words, needles);
      for (const { box, text: read, flag } of mergeWords(words, flags)) {
        if (policy === 'all-text') box.identifying = true;
        // The same text read in another pass or frame: one box covering both.
        const seen = boxes.findIndex((b) => overlaps(b, box));
        if (seen >= 0) {
          const b = boxes[seen]!;
          if (flag && !b.identifying) identifyingText++;
          unite(b, box);
          b.identifying ||= box.identifying;
          // Every distinct reading is kept, one per line: passes misread differently.
          const earlier = agentOnlyText.get(seen) ?? '';
          if (!earlier.split('\n').includes(read))
            agentOnlyText.set(seen, earlier ? `${earlier}\n${read}` : read);
          continue;
        }
        agentOnlyText.set(boxes.length, read);
        boxes.push(box);
        text++;
        if (flag) identifyingText++;
      }
    }
  }
  const rule = ruleAreas(file.dataset, module.columns, module.rows);
  for (const area of rule) boxes.push({ ...area, source: 'rule', identifying: true });
  return {
    width: module.columns,
    height: module.rows,
    boxes,
    counts: { text, identifyingText, rule: rule.length, toClean: boxes.filter((b) => b.identifying).length },
    agentOnlyText,
    needles,
  };
}

interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

export const overlaps = (a: Box, b: Box): boolean =>
  a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

function unite(into: Box, other: Box): void {
  const right = Math.max(into.x + into.width, other.x + other.width);
  const bottom = Math.max(into.y + into.height, other.y + other.height);
  into.x = Math.min(into.x, other.x);
  into.y = Math.min(into.y, other.y);
  into.width = right - into.x;
  into.height = bottom - into.y;
}

export async function detectBurnedInText(
  dicom: Uint8Array,
  options: DetectOptions,
): Promise<BurnedInDetection> {
  checkPolicy(options?.policy);
  const { needles, ...detection } = await detectInFile(parseImageFile(dicom), options.policy);
  void needles;
  return detection;
}
