// Visiting every element of a data set at every depth, iteratively (no recursion, any depth).
import type { DicomDataset, DicomElement, Tag } from './model.ts';

/**
 * Calls `visit` for every element, depth first and in data set order: a sequence is visited before
 * the elements of its items. `path` lists the tags of the sequences that enclose `owner`, outermost
 * first ([] at the top level). The visitor may delete or replace the element it is given in
 * `owner`; if it removes a sequence (or gives it new items), the walk follows what is there after
 * the call. Elements added to `owner` during the walk may or may not be visited.
 */
export function walkDataset(
  ds: DicomDataset,
  visit: (el: DicomElement, path: readonly Tag[], owner: DicomDataset) => void,
): void {
  const stack: { owner: DicomDataset; path: readonly Tag[]; it: Iterator<DicomElement> }[] = [
    { owner: ds, path: [], it: ds.values() },
  ];
  while (stack.length > 0) {
    const top = stack[stack.length - 1] as (typeof stack)[number];
    const next = top.it.next();
    if (next.done) {
      stack.pop();
      continue;
    }
    const el = next.value;
    visit(el, top.path, top.owner);
    const current = top.owner.get(el.tag);
    if (current?.items && current.items.length > 0) {
      const path = [...top.path, current.tag];
      // Items are pushed last-first so that they are walked in order.
      for (let i = current.items.length - 1; i >= 0; i--) {
        const item = current.items[i] as DicomDataset;
        stack.push({ owner: item, path, it: item.values() });
      }
    }
  }
}
