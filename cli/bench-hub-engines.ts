// `radfed bench hub --database postgres://…`: the scale run three times in one go, on the same machine
// and settings: one hub on SQLite, one replica on PostgreSQL, three replicas on PostgreSQL (sites dealt
// to them in turn) with blobs in a shared folder, and three with blobs in PostgreSQL (`--blobs postgres`). Uploads per second are the round's acknowledged uploads over the time from the round
// opening to the last acknowledgement; aggregation is the publishing replica's own measure.
import { checkPostgresReachable, runHubScale, type ScaleRun } from '../hub/index.ts';

type Compression = 'none' | 'float16' | 'int8';

export interface EngineRun {
  readonly label: string;
  readonly run: ScaleRun;
}

export async function runHubEngines(options: {
  database: string;
  sites: number;
  rounds: number;
  compression: Compression;
  parameters?: number;
  log: (line: string) => void;
}): Promise<EngineRun[]> {
  const common = {
    sites: options.sites,
    rounds: options.rounds,
    compression: options.compression,
    log: options.log,
    ...(options.parameters ? { parameters: options.parameters } : {}),
  };
  // A wrong URL or a stopped server is said at once, not after the SQLite run's minutes.
  await checkPostgresReachable(options.database);
  const runs: EngineRun[] = [];
  for (const [label, store] of [
    ['sqlite', undefined],
    ['postgres x1', { database: options.database, replicas: 1 }],
    ['postgres x3', { database: options.database, replicas: 3 }],
    ['pg x3 blobs', { database: options.database, replicas: 3, blobs: 'postgres' }],
  ] as const) {
    options.log(`Scale run on ${label}: ${options.sites} sites, ${options.rounds} rounds…`);
    runs.push({ label, run: await runHubScale({ ...common, ...(store ? { store } : {}) }) });
  }
  return runs;
}

export function formatHubEngines(runs: readonly EngineRun[]): string {
  const first = runs[0]?.run;
  const lines = [
    `Hub engines: ${first?.sites ?? 0} simulated sites, ${first?.parameters ?? 0} parameters, ${first?.compression ?? ''} updates (median round; of two, the slower)`,
    '  store        enroll (s)  uploads/s  aggregation (s)  round (s)',
  ];
  for (const { label, run } of runs) {
    const median = (values: number[]) =>
      [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
    const rate = median(run.rounds.map((r) => (r.uploadSeconds > 0 ? run.sites / r.uploadSeconds : 0)));
    lines.push(
      `  ${label.padEnd(11)}  ${run.enrollSeconds.toFixed(2).padStart(10)}  ${rate.toFixed(1).padStart(9)}  ` +
        `${median(run.rounds.map((r) => r.aggregationSeconds))
          .toFixed(3)
          .padStart(15)}  ` +
        `${median(run.rounds.map((r) => r.roundSeconds))
          .toFixed(2)
          .padStart(9)}`,
    );
  }
  lines.push('');
  return lines.join('\n');
}
