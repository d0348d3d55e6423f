// The table of `radfed demo --compare`: one row per method on the same pooled test set, with what each
// cost (bytes each hospital sent, wall time) and what the one who combines the updates could see.
import type { CompareResult, CompareRow } from './compare-demo.ts';
import { VISIBILITY_WORDS } from './compare-methods.ts';
import { describeCutLeakages, describeSplitFigures } from './demo-split.ts';

const f3 = (value: number | null) => (value === null ? '  n/a' : value.toFixed(3));

function sent(bytes: number): string {
  if (bytes === 0) return 'nothing';
  return bytes >= 1e6 ? `${(bytes / 1e6).toFixed(1)} MB` : `${(bytes / 1e3).toFixed(0)} kB`;
}

function wall(seconds: number): string {
  return seconds >= 600 ? `${(seconds / 60).toFixed(1)} min` : `${seconds.toFixed(0)} s`;
}

export function formatCompareTable(result: CompareResult): string {
  const s = result.settings;
  const width = Math.max(...result.rows.map((r) => r.label.length), 'Method'.length);
  const lines = [
    `Every method on the same ${s.sites} hospitals (${s.patientsPerSite} patients each, ${result.trainImages} training images in all), ` +
      `scored on the same pooled test set of ${result.testImages} radiographs of held-out patients.`,
    '',
    `${'Method'.padEnd(width)}  AUC    Accuracy  Sent per site  Wall time  What the coordinator sees`,
    `${'-'.repeat(width)}  -----  --------  -------------  ---------  -------------------------`,
  ];
  for (const r of result.rows) lines.push(row(r, width));
  lines.push(
    '',
    `Every model is the same network (${s.model}) from the same initial weights, batch ${s.batchSize}, learning rate ` +
      `${s.learningRate}, ${s.rounds} rounds of ${s.localEpochs} local epoch(s) (local-only and pooled: ${s.rounds * s.localEpochs} epochs), ` +
      'kept as it is at the end (no pick of a best round). Cyclic weight transfer trains one hospital a round, so each ' +
      `hospital trains about a third of the rounds. Sent per site: what one hospital sent in the whole run, on average ` +
      `(model: ${(result.modelBytes / 1e6).toFixed(2)} MB as raw float32). Wall time: from the site agents' start to ` +
      'their stop, one method at a time on this machine (the swarm\u2019s members run in one process; local-only and ' +
      'pooled: their training). A single run\u2019s last model moves by a few hundredths of AUC from one round to the next.',
    '',
    `Time: ${result.seconds.total.toFixed(0)} s in all (setup ${result.seconds.setup.toFixed(0)} s, methods ` +
      `${result.seconds.methods.toFixed(0)} s, local-only and pooled ${result.seconds.baselines.toFixed(0)} s, evaluation ` +
      `${result.seconds.evaluation.toFixed(0)} s).`,
  );
  if (result.split)
    lines.push('', ...describeSplitFigures(result.split, null), describeCutLeakages(result.leakage));
  const missed = result.rows.filter((r) => r.siteRounds && r.siteRounds.in < r.siteRounds.of);
  for (const r of missed)
    lines.push(
      `${r.label}: ${r.siteRounds!.of - r.siteRounds!.in} of ${r.siteRounds!.of} site-rounds missed.`,
    );
  return lines.join('\n');
}

function row(r: CompareRow, width: number): string {
  return (
    `${r.label.padEnd(width)}  ${f3(r.auc)}  ${r.accuracy.toFixed(3).padStart(8)}  ${sent(r.bytesPerSite).padStart(13)}  ` +
    `${wall(r.seconds).padStart(9)}  ${VISIBILITY_WORDS[r.sees]}`
  );
}
