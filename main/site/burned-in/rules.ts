// Rectangle rules per manufacturer and model (rules.json): known areas of burned-in patient text,
// blanked whatever the OCR reads there, as RSNA CTP's pixel anonymizer does.
import { getString, Tags, type DicomDataset } from '../dicom/index.ts';
import RULES from './rules.json' with { type: 'json' };

export interface RuleArea {
  x: number;
  y: number;
  width: number;
  height: number;
}

interface Rule {
  name: string;
  match: {
    modality?: string;
    manufacturer?: string;
    model?: string;
    sopClass?: string;
    rows?: number;
    columns?: number;
  };
  unit?: 'pixel' | 'fraction';
  areas: RuleArea[];
}

const rules: readonly Rule[] = (RULES as { rules: Rule[] }).rules;

const text = (ds: DicomDataset, tag: number): string => (getString(ds, tag) ?? '').trim();

/** The areas of every rule that matches this header, in pixels, clipped to the image. */
export function ruleAreas(
  ds: DicomDataset,
  columns: number,
  rows: number,
  list: readonly Rule[] = rules,
): RuleArea[] {
  const fields: Record<string, string> = {
    modality: text(ds, Tags.Modality),
    manufacturer: text(ds, Tags.Manufacturer),
    model: text(ds, Tags.ManufacturerModelName),
    sopClass: text(ds, Tags.SOPClassUID),
  };
  const out: RuleArea[] = [];
  for (const rule of list) {
    const { rows: r, columns: c, ...patterns } = rule.match;
    if ((r !== undefined && r !== rows) || (c !== undefined && c !== columns)) continue;
    const matches = Object.entries(patterns).every(([field, pattern]) =>
      new RegExp(pattern, 'i').test(fields[field] ?? ''),
    );
    if (!matches) continue;
    for (const a of rule.areas) {
      const k = rule.unit === 'fraction' ? [columns, rows] : [1, 1];
      const x = Math.max(0, Math.floor(a.x * k[0]!));
      const y = Math.max(0, Math.floor(a.y * k[1]!));
      const width = Math.min(columns, Math.ceil((a.x + a.width) * k[0]!)) - x;
      const height = Math.min(rows, Math.ceil((a.y + a.height) * k[1]!)) - y;
      if (width > 0 && height > 0) out.push({ x, y, width, height });
    }
  }
  return out;
}
