// One pass over a data set and, recursively, every item of every sequence at any depth: each
// element is looked up once in the compiled rule book (or matched to a pattern row) and handed to its
// action. The input is never modified; the output is a new data set sharing the kept elements.
import type { DicomDataset, DicomElement } from '../dicom/index.ts';
import { primitiveOf, type Primitive, type Rule } from './action-resolution.ts';
import { isCleanableInContext } from './clean-contexts.ts';
import type { DeidOption } from './deid-options.ts';
import { applyPrimitive, shiftDates, type ActionContext } from './element-actions.ts';
import {
  isCurveGroup,
  isOverlayGroup,
  OVERLAY_COMMENTS_ELEMENT,
  overlayGroupsWithBitmap,
} from './graphics.ts';
import { isOddGroup, safePrivateTags } from './private-attributes.ts';
import { identifiesInDummy } from './dummy-sequences.ts';
import { identifierKind } from './removed-values.ts';
import { topLevelType } from './top-level-types.ts';
import { count, effectiveVr, type WalkMode, type WalkState } from './walk-state.ts';

const NONE: ReadonlySet<number> = new Set();
const NO_OPTIONS: readonly DeidOption[] = [];
const HONOURED_IN_DUMMY: ReadonlySet<DeidOption> = new Set<DeidOption>([
  'retain-long-modified-dates',
  'retain-long-full-dates',
  'retain-uids',
]);

export function processDataset(
  input: DicomDataset,
  state: WalkState,
  mode: WalkMode,
  depth: number,
): DicomDataset {
  const out: DicomDataset = new Map();
  let hasPrivate = false;
  let hasOverlay = false;
  for (const t of input.keys()) {
    if (isOddGroup(t)) hasPrivate = true;
    else if (isOverlayGroup(t)) hasOverlay = true;
  }
  const keepPrivate =
    hasPrivate && state.book.options.has('retain-safe-private') ? safePrivateTags(input) : NONE;
  const bitmapGroups = hasOverlay ? overlayGroupsWithBitmap(input) : NONE;
  const processItems = (items: readonly DicomDataset[], m: WalkMode): DicomDataset[] =>
    items.map((item) => processDataset(item, state, m, depth + 1));

  for (const el of input.values()) {
    const t = el.tag;
    const group = t >>> 16;
    // Group lengths (retired, and wrong after any change), stray meta elements and delimiters go;
    // the writer computes what it needs.
    if ((t & 0xffff) === 0 || group === 0x0002 || group === 0xfffe) continue;
    const vr = effectiveVr(el);
    // A listed attribute's context names its row and the options that chose its action.
    const rule = (t & 0x10000) === 0 ? state.book.rules.get(t) : undefined;
    const ctx: ActionContext = {
      state,
      out,
      mode,
      vr,
      via: rule?.via ?? NO_OPTIONS,
      name: rule?.row.name,
      depth,
      processItems,
    };

    if (isOddGroup(t)) {
      privateAttribute(el, keepPrivate.has(t), unlistedContext(ctx, rule));
    } else if (isCurveGroup(t)) {
      patternRow(el, state.book.patterns['curve-data'], unlistedContext(ctx, rule));
    } else if (isOverlayGroup(t)) {
      const c = unlistedContext(ctx, rule);
      if (bitmapGroups.has(group)) {
        // The whole overlay goes with its bitmap (see graphics.ts).
        applyPrimitive('X', el, c);
      } else if ((t & 0xffff) === OVERLAY_COMMENTS_ELEMENT) {
        patternRow(el, state.book.patterns['overlay-comments'], c);
      } else {
        unlisted(el, c);
      }
    } else if (rule) {
      applyPrimitive(adjustForMode(forTopLevelType(primitiveOf(rule.code, vr), rule, ctx), el, ctx), el, ctx);
    } else {
      unlisted(el, ctx);
    }
  }
  return out;
}

/** Curves, overlays and private attributes are handled by pattern, never by a single-tag row. */
const unlistedContext = (ctx: ActionContext, rule: Rule | undefined): ActionContext =>
  rule ? { ...ctx, via: NO_OPTIONS, name: undefined } : ctx;

/**
 * Inside a D sequence a listed attribute's K and C become D, except what the dates options and
 * Retain UIDs ask for: the row names a value that can identify, and the sequence asked for dummies.
 * Inside a C sequence (clean context) free text that its own row would replace with a dummy is
 * cleaned instead, since the option asked for the content to be retained; identifiers keep their D.
 */
function adjustForMode(p: Primitive, el: DicomElement, ctx: ActionContext): Primitive {
  if (ctx.mode.kind === 'dummy') {
    // Dates a dates option keeps or shifts, and UIDs Retain UIDs keeps, are the user's choice of
    // what identifies no one (and keep references intact): those options are honoured.
    const honoured = ctx.via.some((o) => HONOURED_IN_DUMMY.has(o));
    return (p === 'K' || p === 'C') && !honoured ? 'D' : p;
  }
  if (
    ctx.mode.kind === 'clean' &&
    p === 'D' &&
    isCleanableInContext(el.tag, ctx.vr) &&
    !identifierKind(el.tag, ctx.vr, ctx.name ?? '')
  ) {
    return 'C';
  }
  return p;
}

/**
 * At the top level, where the module of an attribute is known (top-level-types.ts): a compound code
 * that would empty a Type 3 sequence removes it instead, and X on a Type 1 or Type 2 attribute gives
 * a dummy or an empty value. Inside items the table's action stands.
 */
function forTopLevelType(p: Primitive, rule: Rule, ctx: ActionContext): Primitive {
  if (ctx.depth > 0 || (p !== 'Z' && p !== 'X')) return p;
  const type = topLevelType(rule.row.tag, ctx.state.sopClassUid);
  if (p === 'Z') return ctx.vr === 'SQ' && rule.code !== 'Z' && type === 3 ? 'X' : 'Z';
  return type === 1 ? 'D' : type === 2 ? 'Z' : 'X';
}

/** Curves and overlay comments: X under the Basic Profile, C (kept, text cleaned) under Clean Graphics. */
function patternRow(el: DicomElement, rule: Rule, ctx: ActionContext): void {
  const p = primitiveOf(rule.code, ctx.vr);
  if (p !== 'C') {
    applyPrimitive(p, el, ctx);
    return;
  }
  const c: ActionContext = { ...ctx, via: rule.via, mode: { kind: 'clean', context: 'graphics' } };
  if (el.items || isCleanableInContext(el.tag, ctx.vr)) {
    applyPrimitive('C', el, c);
  } else {
    count(ctx.state, 'C');
    ctx.out.set(el.tag, el);
  }
}

/**
 * Private attributes: kept only when Retain Safe Private found them in Table E.3.10-1 (their items
 * are processed too); everything else is removed. Only names and dates in removed private values are
 * searched for later: a private UID is often a vendor class UID that also appears in kept attributes.
 */
function privateAttribute(el: DicomElement, safe: boolean, ctx: ActionContext): void {
  if (!safe) {
    if (ctx.vr === 'PN' || ctx.vr === 'DA' || ctx.vr === 'DT' || el.items) applyPrimitive('X', el, ctx);
    else count(ctx.state, 'X');
    return;
  }
  applyPrimitive('K', el, ctx);
}

/**
 * Attributes Table E.1-1 does not list are standard attributes the profile keeps, with four
 * refinements: any person name (PN) is removed (Z) whatever its tag, since a name is identifying by
 * definition; inside a D sequence the values that can identify become dummies (dummy-sequences.ts);
 * under Modified Dates every date moves with the patient's offset; inside a clean context free text
 * is cleaned.
 */
function unlisted(el: DicomElement, ctx: ActionContext): void {
  const { vr, mode } = ctx;
  if (vr === 'PN') {
    applyPrimitive(mode.kind === 'dummy' ? 'D' : 'Z', el, ctx);
  } else if (el.items || vr === 'SQ') {
    ctx.out.set(el.tag, { tag: el.tag, vr: 'SQ', items: ctx.processItems(el.items ?? [], mode) });
  } else if (mode.kind === 'dummy' && el.value?.length) {
    if (identifiesInDummy(el.tag, vr, mode.codesIdentify)) applyPrimitive('D', el, ctx);
    else ctx.out.set(el.tag, el);
  } else if ((vr === 'DA' || vr === 'DT') && ctx.state.dateOffset !== undefined && el.value?.length) {
    count(ctx.state, 'C');
    shiftDates(el, vr, ctx);
  } else if (mode.kind === 'clean' && isCleanableInContext(el.tag, vr) && el.value?.length) {
    applyPrimitive('C', el, ctx);
  } else {
    ctx.out.set(el.tag, el);
  }
}
