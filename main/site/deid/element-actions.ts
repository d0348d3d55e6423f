// The six Table E.1-1 actions on one element. Each writes its result into the output data set (or
// leaves the element out), records what it removed, and counts itself. Kept values are carried over
// as the same objects: nothing is copied, pixel data above all.
import type { DicomDataset, DicomElement, Vr } from '../dicom/index.ts';
import { readString, readStrings, Tags } from '../dicom/index.ts';
import type { Primitive } from './action-resolution.ts';
import { CLEANABLE_TEXT_VRS, contextFor } from './clean-contexts.ts';
import { shiftDateValues } from './dates.ts';
import type { DeidOption } from './deid-options.ts';
import { dummyModeFor } from './dummy-sequences.ts';
import { asciiValue, dummyValue } from './dummy-values.ts';
import { aeTitlePseudonym, patientPseudonym } from './keyed-hashes.ts';
import { isStandardUid, remapUid } from './uid-remap.ts';
import {
  collectRemoved,
  count,
  recordRetained,
  withValue,
  type WalkMode,
  type WalkState,
} from './walk-state.ts';

export type ItemsProcessor = (items: readonly DicomDataset[], mode: WalkMode) => DicomDataset[];

export interface ActionContext {
  state: WalkState;
  out: DicomDataset;
  mode: WalkMode;
  /** The VR to reason with (see effectiveVr). */
  vr: Vr;
  /** The options whose cells chose this action (empty for the Basic Profile or unlisted attributes). */
  via: readonly DeidOption[];
  /** The Table E.1-1 row name, for classifying what is removed. */
  name: string | undefined;
  depth: number;
  processItems: ItemsProcessor;
}

const EMPTY = new Uint8Array(0);

export function applyPrimitive(p: Primitive, el: DicomElement, ctx: ActionContext): void {
  switch (p) {
    case 'X':
      return remove(el, ctx);
    case 'Z':
      return zero(el, ctx);
    case 'D':
      return dummy(el, ctx);
    case 'U':
      return remapUids(el, ctx);
    case 'K':
      return keep(el, ctx);
    case 'C':
      return clean(el, ctx);
  }
}

function remove(el: DicomElement, ctx: ActionContext): void {
  collectRemoved(ctx.state, el, ctx.name);
  count(ctx.state, 'X');
}

/** Z: zero length; Patient Name gets the pseudonym instead ("or a dummy": PS3.15 E.1-1 legend). */
function zero(el: DicomElement, ctx: ActionContext): void {
  collectRemoved(ctx.state, el, ctx.name);
  count(ctx.state, 'Z');
  if (el.tag === Tags.PatientName) {
    ctx.out.set(el.tag, withValue(el, 'PN', asciiValue(ctx.state.pseudonym, 'PN')));
  } else if (ctx.vr === 'SQ' || el.items) {
    ctx.out.set(el.tag, { tag: el.tag, vr: 'SQ', items: [] });
  } else {
    ctx.out.set(el.tag, withValue(el, ctx.vr, EMPTY));
  }
}

function dummy(el: DicomElement, ctx: ActionContext): void {
  count(ctx.state, 'D');
  writeDummy(el, ctx);
}

function writeDummy(el: DicomElement, ctx: ActionContext): void {
  const { state, out, vr } = ctx;
  collectRemoved(state, el, ctx.name);
  if (vr === 'SQ' || el.items) {
    const mode = dummyModeFor(el.tag, ctx.mode);
    out.set(el.tag, { tag: el.tag, vr: 'SQ', items: ctx.processItems(el.items ?? [], mode) });
  } else if (el.tag === Tags.PatientName) {
    out.set(el.tag, withValue(el, 'PN', asciiValue(state.pseudonym, 'PN')));
  } else if (el.tag === Tags.PatientID) {
    const id = readString(el).trim();
    const value = ctx.depth === 0 || id === '' ? state.pseudonym : patientPseudonym(state.secret, id);
    out.set(el.tag, withValue(el, vr, asciiValue(value, vr)));
  } else if (vr === 'UI') {
    // A dummy UID that is still consistent: the remapped original (or a fixed one when empty).
    const uids = readStrings(el).map((u) => (u === '' || isStandardUid(u) ? u : remapUid(state.secret, u)));
    const value = uids.some((u) => u !== '') ? uids.join('\\') : remapUid(state.secret, `dummy:${el.tag}`);
    out.set(el.tag, withValue(el, 'UI', asciiValue(value, 'UI')));
  } else {
    out.set(el.tag, withValue(el, vr, dummyValue(vr)));
  }
}

/** U: every UID replaced by its remapped form; standard UIDs (SOP classes...) and empty values stay. */
function remapUids(el: DicomElement, ctx: ActionContext): void {
  const { state, out } = ctx;
  count(state, 'U');
  if (ctx.vr === 'SQ' || el.items) {
    // X/Z/U*: the sequence stays, its items are processed, so the UIDs inside are remapped.
    out.set(el.tag, { tag: el.tag, vr: 'SQ', items: ctx.processItems(el.items ?? [], ctx.mode) });
    return;
  }
  collectRemoved(state, el, ctx.name);
  const uids = readStrings(el).map((u) => (u === '' || isStandardUid(u) ? u : remapUid(state.secret, u)));
  out.set(el.tag, withValue(el, 'UI', asciiValue(uids.join('\\'), 'UI')));
}

function keep(el: DicomElement, ctx: ActionContext): void {
  count(ctx.state, 'K');
  if (el.items) {
    out(ctx, { tag: el.tag, vr: 'SQ', items: ctx.processItems(el.items, ctx.mode) });
    return;
  }
  if (ctx.via.length > 0) recordRetained(ctx.state, el);
  out(ctx, el);
}

const out = (ctx: ActionContext, el: DicomElement): void => void ctx.out.set(el.tag, el);

/** C: what "clean" means depends on the VR and on the option that asked for it. */
function clean(el: DicomElement, ctx: ActionContext): void {
  const { state, vr } = ctx;
  count(state, 'C');
  if (vr === 'SQ' || el.items) {
    const mode: WalkMode = { kind: 'clean', context: contextFor(ctx.via) };
    out(ctx, { tag: el.tag, vr: 'SQ', items: ctx.processItems(el.items ?? [], mode) });
  } else if (vr === 'DA' || vr === 'DT') {
    shiftDates(el, vr, ctx);
  } else if (vr === 'TM') {
    // Times of day are kept under Modified Dates: the shift is whole days (PS3.15 E.3.6).
    out(ctx, el);
  } else if (vr === 'AE') {
    collectRemoved(state, el, ctx.name);
    const titles = readStrings(el).map((t) =>
      t.trim() === '' ? '' : aeTitlePseudonym(state.secret, t.trim()),
    );
    out(ctx, withValue(el, 'AE', asciiValue(titles.join('\\'), 'AE')));
  } else if (vr === 'PN') {
    // Names are replaced, never cleaned: a name has no part that is not the name.
    writeDummy(el, ctx);
  } else if (CLEANABLE_TEXT_VRS.has(vr)) {
    // Cleaned at the end of the walk, once every value removed from this file is known.
    out(ctx, el);
    state.pending.push({ owner: ctx.out, el, vr });
  } else {
    out(ctx, el);
  }
}

/** Shifts a DA/DT by the patient's offset (Modified Dates); otherwise, or when unreadable, a dummy. */
export function shiftDates(el: DicomElement, vr: 'DA' | 'DT', ctx: ActionContext): void {
  const { state } = ctx;
  collectRemoved(state, el, ctx.name);
  const shifted =
    state.dateOffset === undefined ? undefined : shiftDateValues(readString(el), vr, state.dateOffset);
  out(ctx, withValue(el, vr, shifted === undefined ? dummyValue(vr) : asciiValue(shifted, vr)));
}
