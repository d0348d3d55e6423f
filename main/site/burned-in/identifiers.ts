// Which recognised text identifies the patient: the file's own header values (names and their parts,
// IDs, dates in the spellings a console prints, accession, institution), as Microsoft Presidio's
// DICOM image redactor does, matched fuzzily against what the OCR read: case, accents and
// separators ignored, the letters OCR confuses with digits folded together, and a few character
// errors allowed on longer values. Values stay in memory: never logged, returned or shown.
import { keywordOf, readStrings, Tags, walkDataset, type DicomDataset, type Tag } from '../dicom/index.ts';
import type { OcrWord } from './ocr.ts';

/** Keywords of text attributes that hold identifying values (besides every PN and DA/DT). */
const IDENTIFYING_KEYWORD =
  /PatientID|OtherPatientIDs|IssuerOfPatientID|AccessionNumber|^StudyID$|Institution|Address|Telephone|MedicalRecordLocator|StationName|AdmissionID|RequestedProcedureID|ProcedureStepID|PatientComments/;

/** Words that stand in for a name rather than being one. */
const PLACEHOLDERS = new Set([
  'ANON',
  'ANONYMOUS',
  'UNKNOWN',
  'NONE',
  'NULL',
  'NAME',
  'PATIENT',
  'TEST',
  'MR',
  'MRS',
  'MS',
  'DR',
]);

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];

/** Upper case, accents and separators gone, and the shapes OCR mixes up (O/0, I/l/1, S/5, B/8, Z/2) made one. */
export function foldForMatch(text: string): string {
  return text
    .normalize('NFKD')
    .toUpperCase()
    .replace(/[^A-Z0-9|]/g, '')
    .replace(/[OQ]/g, '0')
    .replace(/[IL|]/g, '1')
    .replace(/S/g, '5')
    .replace(/B/g, '8')
    .replace(/Z/g, '2');
}

/** The ways a console may print a DICOM date (YYYYMMDD), before folding. */
function dateSpellings(yyyymmdd: string): string[] {
  const m = /^(\d{4})(\d{2})(\d{2})/.exec(yyyymmdd);
  if (!m) return [];
  const [, y = '', mo = '', d = ''] = m;
  const yy = y.slice(2);
  const mon = MONTHS[Number(mo) - 1] ?? '';
  const dd = String(Number(d));
  const mm = String(Number(mo));
  return [
    `${y}${mo}${d}`,
    `${d}${mo}${y}`,
    `${mo}${d}${y}`,
    `${dd}${mm}${y}`,
    `${mm}${dd}${y}`,
    `${d}${mo}${yy}`,
    `${mo}${d}${yy}`,
    `${yy}${mo}${d}`,
    `${d}${mon}${y}`,
    `${dd}${mon}${y}`,
    `${mon}${d}${y}`,
    `${mon}${dd}${y}`,
  ];
}

/** Folded search strings from the header; short ones only match whole words. */
export function identifyingNeedles(dataset: DicomDataset): string[] {
  const needles = new Set<string>();
  const add = (text: string): void => {
    const folded = foldForMatch(text);
    if (folded.length >= 2 && !PLACEHOLDERS.has(text.trim().toUpperCase())) needles.add(folded);
  };
  walkDataset(dataset, (el) => {
    const t: Tag = el.tag;
    if (!el.value || t === Tags.PixelData || t >>> 16 === 0x0002) return;
    const keyword = keywordOf(t) ?? '';
    if (el.vr === 'PN') {
      for (const value of readStrings(el)) {
        add(value);
        for (const part of value.split(/[\^= ,]+/)) if (part.length >= 2) add(part);
      }
    } else if (el.vr === 'DA' || el.vr === 'DT') {
      for (const value of readStrings(el)) for (const s of dateSpellings(value.trim())) add(s);
    } else if (
      (el.vr === 'LO' || el.vr === 'SH' || el.vr === 'ST' || el.vr === 'LT') &&
      IDENTIFYING_KEYWORD.test(keyword)
    ) {
      for (const value of readStrings(el)) if (value.trim().length >= 3) add(value);
    }
  });
  return [...needles].sort((a, b) => b.length - a.length);
}

/** Errors allowed when matching a needle of this length (OCR misreads a character or two). */
const allowedErrors = (length: number): number => (length < 5 ? 0 : length < 9 ? 1 : 2);

/**
 * Approximate occurrences of `needle` in `text` (Sellers' edit-distance search): the spans
 * [start, end) of the closest match in each run of matches within the allowed errors.
 */
function findApproximate(text: string, needle: string): [number, number][] {
  const limit = allowedErrors(needle.length);
  const m = needle.length;
  let previous = new Array<number>(m + 1);
  let prevStart = new Array<number>(m + 1);
  for (let i = 0; i <= m; i++) {
    previous[i] = i;
    prevStart[i] = 0;
  }
  const found: [number, number][] = [];
  let best: [number, number] | null = null;
  let bestCost = limit + 1;
  for (let j = 1; j <= text.length; j++) {
    const current = new Array<number>(m + 1);
    const start = new Array<number>(m + 1);
    current[0] = 0;
    start[0] = j;
    for (let i = 1; i <= m; i++) {
      const substitute = previous[i - 1]! + (needle[i - 1] === text[j - 1] ? 0 : 1);
      const remove = previous[i]! + 1;
      const insert = current[i - 1]! + 1;
      if (substitute <= remove && substitute <= insert) {
        current[i] = substitute;
        start[i] = prevStart[i - 1]!;
      } else if (remove <= insert) {
        current[i] = remove;
        start[i] = prevStart[i]!;
      } else {
        current[i] = insert;
        start[i] = start[i - 1]!;
      }
    }
    if (current[m]! < bestCost) {
      bestCost = current[m]!;
      best = [start[m]!, j];
    } else if (current[m]! > limit && best) {
      found.push(best);
      best = null;
      bestCost = limit + 1;
    }
    previous = current;
    prevStart = start;
  }
  if (best) found.push(best);
  return found;
}

/**
 * Marks the words of each line that spell an identifying value, alone or together (a date printed
 * as three words, a name as two). Returns one flag per word.
 */
export function identifyingWords(words: readonly OcrWord[], needles: readonly string[]): boolean[] {
  const flags = words.map(() => false);
  const lines = new Map<number, number[]>();
  words.forEach((w, i) => lines.set(w.line, [...(lines.get(w.line) ?? []), i]));
  for (const indexes of lines.values()) {
    let text = '';
    const spans: [number, number][] = [];
    for (const i of indexes) {
      const folded = foldForMatch(words[i]!.text);
      spans.push([text.length, text.length + folded.length]);
      text += folded;
    }
    for (const needle of needles) {
      for (const [from, to] of findApproximate(text, needle)) {
        // Short values must be whole words: "LI" in "CLINIC" is no one's name.
        const whole = spans.some(([s]) => s === from) && spans.some(([, e]) => e === to);
        if (needle.length < 5 && !whole) continue;
        indexes.forEach((wordIndex, k) => {
          const [s, e] = spans[k]!;
          if (s < to && e > from) flags[wordIndex] = true;
        });
      }
    }
  }
  return flags;
}
