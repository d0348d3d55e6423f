// Curves (50xx,xxxx) and overlays (60xx,xxxx), the repeating groups of Table E.1-1, and what Clean
// Graphics (PS3.15 E.3.8) can and cannot do for them here.
//
// Overlay bitmaps: Overlay Data (60xx,3000) is a bitmap that can carry burned-in text (names, dates)
// as easily as pixel data can, and this engine has no OCR, so it cannot clean one. The bitmap is
// therefore removed under the Basic Profile (X) and under Clean Graphics alike, and with it the
// rest of its overlay group: an overlay without its Type 1 Overlay Data is invalid, and its label,
// description and comments describe a bitmap that is gone. Overlays embedded in the high bits of
// pixel data (retired) are part of the pixel data, which is never touched: such images rely on the
// burned-in annotation policy.
//
// What Clean Graphics does keep: curve groups (the vector data kept, their text cleaned), Overlay
// Comments of groups without a bitmap (cleaned), and Graphic Annotation Sequences (graphics kept,
// Unformatted Text Value cleaned instead of replaced; see clean-contexts.ts).
import type { DicomDataset, Tag } from '../dicom/index.ts';

export const isCurveGroup = (tag: Tag): boolean => tag >>> 24 === 0x50 && ((tag >>> 16) & 1) === 0;
export const isOverlayGroup = (tag: Tag): boolean => tag >>> 24 === 0x60 && ((tag >>> 16) & 1) === 0;

export const OVERLAY_DATA_ELEMENT = 0x3000;
export const OVERLAY_COMMENTS_ELEMENT = 0x4000;

/** The overlay groups of a data set that hold a bitmap: each is removed whole. */
export function overlayGroupsWithBitmap(ds: DicomDataset): Set<number> {
  const groups = new Set<number>();
  for (const t of ds.keys()) {
    if (isOverlayGroup(t) && (t & 0xffff) === OVERLAY_DATA_ELEMENT) groups.add(t >>> 16);
  }
  return groups;
}
