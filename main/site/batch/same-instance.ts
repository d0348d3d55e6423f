// Two inputs can be copies of one instance (the same SOP Instance UID: one image exported twice, say
// in two transfer syntaxes). Both de-identify to the same output path, and which copy ends up there
// would depend on which thread wrote last. The first in input order is kept: it is written again once
// the run is over, so that its copy is the one on disk, and the later copies' entries say so.
import type { FileOutcome } from './deid-file.ts';

/** Settles outputs shared by several inputs in place; `rewrite(index)` de-identifies that input again. */
export function keepFirstOfEachInstance(
  outcomes: FileOutcome[],
  rewrite: (index: number) => FileOutcome,
): void {
  const firstByOutput = new Map<string, number>();
  const rewritten = new Set<number>();
  outcomes.forEach((outcome, index) => {
    if (outcome.status !== 'deidentified' || outcome.output === null) return;
    const first = firstByOutput.get(outcome.output);
    if (first === undefined) {
      firstByOutput.set(outcome.output, index);
      return;
    }
    if (!rewritten.has(first)) {
      outcomes[first] = rewrite(first);
      rewritten.add(first);
    }
    outcomes[index] = {
      ...outcome,
      reason:
        // By its number in the run, not its path: the reason is printed and goes into the report,
        // and input paths often carry the patient's name.
        `the same instance (SOP Instance UID) as file ${first + 1} of this run: ` +
        'the de-identified copy of that file is the one kept',
    };
  });
}
