// Which Table E.1-1 action applies to an attribute under the chosen options, compiled once per option
// set into a Map so the walk does one lookup per element.
import type { Tag, Vr } from '../dicom/index.ts';
import type { DeidOption } from './deid-options.ts';
import {
  profileTable,
  type ActionCode,
  type OptionCode,
  type PatternName,
  type ProfileRow,
} from './profile-table.ts';

/** The single thing done to one element. */
export type Primitive = 'D' | 'Z' | 'X' | 'K' | 'C' | 'U';

export interface Rule {
  row: ProfileRow;
  /** The code that applies: the Basic Profile's, or an option's cell that replaced it. */
  code: ActionCode | OptionCode;
  /** The options whose cells decided `code` (empty when the Basic Profile action applies). */
  via: readonly DeidOption[];
}

export interface RuleBook {
  options: ReadonlySet<DeidOption>;
  rules: ReadonlyMap<Tag, Rule>;
  patterns: Readonly<Record<PatternName, Rule>>;
}

/**
 * PS3.15 E.1-1: "an option's cell replaces the Basic Profile action". When several chosen options
 * have a cell on one row (Date of Last Calibration: Retain Device Identity says K, Retain Modified
 * Dates says C), C wins over K: C still retains the attribute, but not a value another chosen option
 * asked to change, so both options hold.
 */
export function resolveRule(row: ProfileRow, options: ReadonlySet<DeidOption>): Rule {
  const cells: [DeidOption, OptionCode][] = [];
  for (const [option, cell] of Object.entries(row.options) as [DeidOption, OptionCode][]) {
    if (options.has(option)) cells.push([option, cell]);
  }
  if (cells.length === 0) return { row, code: row.basic, via: [] };
  const cleaning = cells.filter(([, cell]) => cell === 'C');
  const chosen = cleaning.length > 0 ? cleaning : cells;
  return { row, code: chosen[0]?.[1] ?? 'K', via: chosen.map(([option]) => option) };
}

const books = new Map<string, RuleBook>();

export function compileRuleBook(options: readonly DeidOption[]): RuleBook {
  const key = [...new Set(options)].sort().join(',');
  const cached = books.get(key);
  if (cached) return cached;
  const set = new Set(options);
  const table = profileTable();
  const rules = new Map<Tag, Rule>();
  for (const [tag, row] of table.rows) rules.set(tag, resolveRule(row, set));
  const p = table.patterns;
  const book: RuleBook = {
    options: set,
    rules,
    patterns: {
      'curve-data': resolveRule(p['curve-data'], set),
      'overlay-data': resolveRule(p['overlay-data'], set),
      'overlay-comments': resolveRule(p['overlay-comments'], set),
      'private-attributes': resolveRule(p['private-attributes'], set),
    },
  };
  books.set(key, book);
  return book;
}

/**
 * The compound codes depend on the attribute's Type in its IOD (PS3.15 E.1-1 legend), which a
 * de-identifier working on any SOP class without IOD tables does not know. The rule used here keeps
 * every output valid whatever the Type, and never keeps an original value:
 * - Z/D, X/D, X/Z/D on a plain attribute: D (a dummy satisfies Type 1, 2 and 3 alike).
 * - X/Z: Z (a zero-length value satisfies Type 2 and 3; no Type 1 attribute carries X/Z).
 * - On a sequence a "dummy" would mean inventing items, so Z/D and X/Z/D give an empty sequence (Z)
 *   and X/D removes it (X), the only choice that code leaves besides a dummy.
 * - X/Z/U*: the sequence is kept and its items processed with the same rules, so the UIDs inside are
 *   remapped (Referenced SOP Instance UID is U) and references between objects survive (U).
 * - D on a sequence (Content Sequence, Graphic Annotation Sequence...): the items are kept with their
 *   structure and codes, and the values inside that can identify are replaced (dummy-sequences.ts).
 * At a data set's top level the module's Type is known for a few attributes (top-level-types.ts).
 */
export function primitiveOf(code: ActionCode | OptionCode, vr: Vr): Primitive {
  const sequence = vr === 'SQ';
  switch (code) {
    case 'Z/D':
    case 'X/Z/D':
      return sequence ? 'Z' : 'D';
    case 'X/Z':
      return 'Z';
    case 'X/D':
      return sequence ? 'X' : 'D';
    case 'X/Z/U*':
      return sequence ? 'U' : vr === 'UI' ? 'U' : 'Z';
    default:
      return code;
  }
}
