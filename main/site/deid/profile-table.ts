// PS3.15 Table E.1-1 (edition 2026a) and Table E.3.10-1 (safe private attributes), loaded once from
// ./data (provenance in data/README.md) into Maps, and checked as they are read so that a damaged
// data file stops the engine instead of silently keeping an attribute.
import { readFileSync } from 'node:fs';
import type { Tag } from '../dicom/index.ts';
import { DEID_OPTIONS, OPTION_COLUMN, type DeidOption } from './deid-options.ts';
import { RadfedError } from '../../../shared/errors.ts';

export const ACTION_CODES = ['D', 'Z', 'X', 'K', 'C', 'U', 'Z/D', 'X/Z', 'X/D', 'X/Z/D', 'X/Z/U*'] as const;
export type ActionCode = (typeof ACTION_CODES)[number];
/** What an option's cell may say (Table E.1-1 only uses K and C there). */
export type OptionCode = 'K' | 'C';

export interface ProfileRow {
  tag: Tag;
  name: string;
  basic: ActionCode;
  /** The non-empty option cells of this row. */
  options: Partial<Record<DeidOption, OptionCode>>;
}

export type PatternName = 'curve-data' | 'overlay-data' | 'overlay-comments' | 'private-attributes';

export interface ProfileTable {
  /** Single-tag rows keyed by tag. */
  rows: ReadonlyMap<Tag, ProfileRow>;
  /** The four pattern rows; `tag` is 0 there. */
  patterns: Readonly<Record<PatternName, ProfileRow>>;
}

export interface SafePrivateRow {
  creator: string;
  group: number;
  /** The element's low byte: its offset inside the block the Private Creator reserved. */
  elementInBlock: number;
  meaning: string;
}

export class ProfileDataError extends RadfedError<'bad-profile-data'> {
  override readonly name = 'ProfileDataError';
  constructor(message: string) {
    super('bad-profile-data', message);
  }
}

const dataUrl = (file: string): URL => new URL(`./data/${file}`, import.meta.url);

function readJsonArray(file: string): Record<string, unknown>[] {
  const parsed: unknown = JSON.parse(readFileSync(dataUrl(file), 'utf8'));
  if (!Array.isArray(parsed)) throw new ProfileDataError(`${file} is not a JSON array; restore it from git.`);
  return parsed as Record<string, unknown>[];
}

const isAction = (s: unknown): s is ActionCode => (ACTION_CODES as readonly unknown[]).includes(s);

const PATTERN_IDS: Record<string, PatternName> = {
  '50xxxxxx': 'curve-data',
  '60xx3000': 'overlay-data',
  '60xx4000': 'overlay-comments',
  'ggggeeee-where-gggg-is-odd': 'private-attributes',
};

function toRow(raw: Record<string, unknown>, tag: Tag): ProfileRow {
  const { name, basicProfile } = raw;
  if (typeof name !== 'string' || !isAction(basicProfile)) {
    throw new ProfileDataError(
      `Table E.1-1 row ${String(raw.tag)} has no valid name or Basic Profile action.`,
    );
  }
  const options: ProfileRow['options'] = {};
  for (const option of DEID_OPTIONS) {
    const cell = raw[OPTION_COLUMN[option]];
    if (cell === undefined || cell === '') continue;
    if (cell !== 'K' && cell !== 'C') {
      throw new ProfileDataError(`Table E.1-1 row ${String(raw.tag)} has an unexpected ${option} cell.`);
    }
    options[option] = cell;
  }
  return { tag, name: name.split('\n')[0]?.trim() ?? name, basic: basicProfile, options };
}

function loadProfileTable(): ProfileTable {
  const rows = new Map<Tag, ProfileRow>();
  const patterns: Partial<Record<PatternName, ProfileRow>> = {};
  for (const raw of readJsonArray('table_E.1-1.2026a.json')) {
    const pattern = typeof raw.id === 'string' ? PATTERN_IDS[raw.id] : undefined;
    if (pattern) {
      patterns[pattern] = toRow(raw, 0);
      continue;
    }
    const m = typeof raw.tag === 'string' ? /^\(([0-9A-F]{4}),([0-9A-F]{4})\)$/i.exec(raw.tag) : null;
    if (!m) throw new ProfileDataError(`Table E.1-1 has a row with an unreadable tag: ${String(raw.tag)}.`);
    const tag = ((parseInt(m[1] ?? '', 16) << 16) | parseInt(m[2] ?? '', 16)) >>> 0;
    rows.set(tag, toRow(raw, tag));
  }
  const missing = Object.values(PATTERN_IDS).filter((p) => !patterns[p]);
  if (missing.length > 0)
    throw new ProfileDataError(`Table E.1-1 lacks the pattern rows ${missing.join(', ')}.`);
  return { rows, patterns: patterns as Record<PatternName, ProfileRow> };
}

const safeKey = (creator: string, group: number, elementInBlock: number): string =>
  `${creator}\u0000${group}\u0000${elementInBlock}`;

function loadSafePrivate(): Map<string, SafePrivateRow> {
  const map = new Map<string, SafePrivateRow>();
  for (const raw of readJsonArray('table_E.3.10-1.safe_private.2026a.json')) {
    const { privateCreator, group, elementInBlock, meaning } = raw;
    const g = typeof group === 'string' ? parseInt(group, 16) : NaN;
    const e = typeof elementInBlock === 'string' ? parseInt(elementInBlock, 16) : NaN;
    if (typeof privateCreator !== 'string' || !Number.isInteger(g) || !Number.isInteger(e) || (g & 1) !== 1) {
      throw new ProfileDataError(`Table E.3.10-1 has an unreadable row: ${String(raw.dataElement)}.`);
    }
    const row = { creator: privateCreator, group: g, elementInBlock: e, meaning: String(meaning ?? '') };
    map.set(safeKey(privateCreator, g, e), row);
  }
  return map;
}

let table: ProfileTable | undefined;
let safePrivate: Map<string, SafePrivateRow> | undefined;

export function profileTable(): ProfileTable {
  table ??= loadProfileTable();
  return table;
}

/** The Table E.3.10-1 row for a private element, matched on creator + group + low byte (PS3.15 E.3.10). */
export function safePrivateRow(
  creator: string,
  group: number,
  elementInBlock: number,
): SafePrivateRow | undefined {
  safePrivate ??= loadSafePrivate();
  return safePrivate.get(safeKey(creator, group, elementInBlock));
}

export function safePrivateRowCount(): number {
  safePrivate ??= loadSafePrivate();
  return safePrivate.size;
}
