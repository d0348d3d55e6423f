// The swarm demo's table: the FedAvg demo's comparison of models (same columns, same fairness note),
// then one line per round with what a swarm adds: the member the ledger elected to lead, the ledger's
// height, the leader's merge time and the bytes each member sent.
import { fairness } from './demo-report.ts';
import type { SwarmDemoResult } from './swarm-demo.ts';
import { formatBytes } from './byte-size.ts';

const f3 = (value: number | null) => (value === null ? '  n/a' : value.toFixed(3));

export function formatSwarmDemoTable(result: SwarmDemoResult): string {
  const lines: string[] = [];
  const width = Math.max(...result.models.map((m) => m.name.length), 28);
  lines.push(
    `Pooled held-out test set: ${result.testImages} radiographs of patients no site trained on.`,
    '',
  );
  lines.push(`${'Model'.padEnd(width)}  AUC    Accuracy  Trained on             Training time`);
  lines.push(`${'-'.repeat(width)}  -----  --------  ---------------------  -------------`);
  for (const m of result.models) {
    lines.push(
      `${m.name.padEnd(width)}  ${f3(m.auc)}  ${m.accuracy.toFixed(3).padStart(8)}  ${`${m.trainImages} images`.padEnd(9)}${m.kind === 'local' ? ' (one site)  ' : ' (all sites) '}  ${m.trainSeconds.toFixed(1).padStart(7)} s`,
    );
  }
  lines.push('', ...fairness(result.settings), '');
  const names = Object.keys(result.rounds[0]?.bytesSent ?? {});
  lines.push(
    `Rounds of the swarm (model: ${formatBytes(result.modelBytes)} as raw float32; updates masked as 32-bit integers, ` +
      'summed by the elected leader; no hub):',
  );
  lines.push(`Round  Leader        Ledger height  Time      Merge     Sent per member (${names.join(', ')})`);
  for (const r of result.rounds) {
    lines.push(
      `${String(r.round).padStart(5)}  ${r.leader.padEnd(12)}  ${String(r.ledgerHeight).padStart(13)}  ${`${r.seconds.toFixed(1)} s`.padStart(8)}  ` +
        `${r.mergeSeconds === null ? '     n/a' : `${r.mergeSeconds.toFixed(1)} s`.padStart(8)}  ${names.map((n) => formatBytes(r.bytesSent[n] ?? 0)).join(', ')}`,
    );
  }
  lines.push(
    '',
    `Time: ${result.seconds.total.toFixed(0)} s in all, the swarm's rounds ${result.seconds.swarm.toFixed(0)} s ` +
      '(the members train in this one process, sharing its cores: not comparable with the FedAvg demo\u2019s site processes).',
  );
  return lines.join('\n');
}
