// Private attributes (Table E.1-1 row "(gggg,eeee) where gggg is odd"): removed, or with Retain Safe
// Private (PS3.15 E.3.10) exactly the Table E.3.10-1 ones kept, matched on the Private Creator value
// + group + low byte of the element, never on the absolute element number, since the block (xx) a
// creator reserves varies from file to file.
import type { DicomDataset, Tag } from '../dicom/index.ts';
import { readString } from '../dicom/index.ts';
import { safePrivateRow } from './profile-table.ts';

/** Odd groups, including the illegal 0001/0003/0005/0007/FFFF, which never carry anything safe. */
export const isOddGroup = (tag: Tag): boolean => ((tag >>> 16) & 1) === 1;

/**
 * The private elements of one data set (or item) to keep: each safe attribute whose block's creator
 * is known, plus the Private Creator elements of the blocks that keep at least one attribute.
 * Everything else in odd groups goes: unsafe attributes, attributes with no creator, creators of
 * emptied blocks, group lengths and the reserved elements (gggg,0001-000F) and (gggg,0100-0FFF).
 */
export function safePrivateTags(ds: DicomDataset): Set<Tag> {
  const creators = new Map<number, string>(); // (group << 8 | block) → creator
  for (const [t, el] of ds) {
    if (!isOddGroup(t)) continue;
    const element = t & 0xffff;
    if (element >= 0x0010 && element <= 0x00ff && el.value) {
      creators.set((((t >>> 16) << 8) | element) >>> 0, readString(el).trim());
    }
  }
  const keep = new Set<Tag>();
  if (creators.size === 0) return keep;
  for (const t of ds.keys()) {
    if (!isOddGroup(t)) continue;
    const group = t >>> 16;
    const element = t & 0xffff;
    if (element < 0x1000) continue;
    const creatorKey = ((group << 8) | (element >>> 8)) >>> 0;
    const creator = creators.get(creatorKey);
    if (creator === undefined || !safePrivateRow(creator, group, element & 0xff)) continue;
    keep.add(t);
    keep.add(((group << 16) | (element >>> 8)) >>> 0);
  }
  return keep;
}
