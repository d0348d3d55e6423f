// `radfed bench hub`: the hub's aggregation throughput and a scale run with many simulated sites.
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { benchmarkAggregation, runHubScale, type AggregationFigure, type ScaleRun } from '../hub/index.ts';
import { parsePositiveInt } from './arguments.ts';
import { runHubFloods } from './bench/hub-floods.ts';
import { formatHubEngines, runHubEngines } from './bench-hub-engines.ts';

type Compression = 'none' | 'float16' | 'int8';

function parseCompression(value: string): Compression {
  if (value === 'none' || value === 'float16' || value === 'int8') return value;
  throw new InvalidArgumentError(`--compression takes none, float16 or int8, not "${value}".`);
}

export function registerBenchHubCommand(bench: Command): void {
  bench
    .command('hub')
    .summary('hub aggregation throughput and a scale run with simulated sites')
    .description(
      "Measures the hub's aggregation pipeline (decrypt, decode, weighted sum) in MB/s of sealed updates for\n" +
        'each compression, then runs one hub on loopback HTTPS with --sites simulated sites (in-process\n' +
        'clients, each with its own keys) that enroll, join, download and upload random updates for --rounds.\n' +
        "The model has the reference CNN's layout (97,410 parameters) unless --parameters is given.",
    )
    .option('--sites <n>', 'simulated sites in the scale run', (v) => parsePositiveInt(v, '--sites'), 50)
    .option('--rounds <n>', 'rounds in the scale run', (v) => parsePositiveInt(v, '--rounds'), 2)
    .option('--parameters <n>', 'model size in float32 parameters', (v) =>
      parsePositiveInt(v, '--parameters'),
    )
    .option('--compression <kind>', 'update compression in the scale run', parseCompression, 'float16')
    .option(
      '--aggregation-sites <n>',
      'updates per aggregation measurement',
      (v) => parsePositiveInt(v, '--aggregation-sites'),
      20,
    )
    .option(
      '--database <url>',
      'also run the scale run on PostgreSQL (one replica; three; three with blobs in the database) beside SQLite, in a fresh schema of this database',
    )
    .option('--json', 'print JSON')
    .action(
      async (flags: {
        database?: string;
        sites: number;
        rounds: number;
        parameters?: number;
        compression: Compression;
        aggregationSites: number;
        json?: boolean;
      }) => {
        const log = (line: string) => process.stderr.write(`${line}\n`);
        if (flags.database !== undefined) {
          const runs = await runHubEngines({
            database: flags.database,
            sites: flags.sites,
            rounds: flags.rounds,
            compression: flags.compression,
            log,
            ...(flags.parameters ? { parameters: flags.parameters } : {}),
          });
          process.stdout.write(flags.json ? `${JSON.stringify(runs, null, 2)}\n` : formatHubEngines(runs));
          return;
        }
        log('Measuring aggregation throughput…');
        const aggregation = benchmarkAggregation({
          sites: flags.aggregationSites,
          ...(flags.parameters ? { parameters: flags.parameters } : {}),
        });
        log(`Scale run: ${flags.sites} sites, ${flags.rounds} rounds…`);
        const scale = await runHubScale({
          sites: flags.sites,
          rounds: flags.rounds,
          compression: flags.compression,
          log,
          ...(flags.parameters ? { parameters: flags.parameters } : {}),
        });
        process.stdout.write(
          flags.json
            ? `${JSON.stringify({ aggregation, scale }, null, 2)}\n`
            : formatHubBench(aggregation, scale),
        );
      },
    );
  registerBenchHubFloodsCommand(bench);
}

function registerBenchHubFloodsCommand(bench: Command): void {
  bench
    .command('hub-floods')
    .summary("the hub's memory under floods of large bodies, and a site's upload under a sign-in flood")
    .description(
      'Runs a hub as its own process on loopback and reads its resident memory (/proc) before, at the peak\n' +
        'of and after --bodies concurrent bodies of --body-mib MiB with junk signature headers, then with an\n' +
        "enrolled site's id and a junk signature; then times a site's 32 KiB upload chunks while --sign-ins\n" +
        'dashboard sign-ins (each from its own loopback address and name) are being checked.',
    )
    .option('--bodies <n>', 'concurrent bodies per flood', (v) => parsePositiveInt(v, '--bodies'), 24)
    .option('--body-mib <n>', 'size of each body in MiB', (v) => parsePositiveInt(v, '--body-mib'), 16)
    .option('--sign-ins <n>', 'concurrent sign-ins', (v) => parsePositiveInt(v, '--sign-ins'), 40)
    .option('--json', 'print JSON')
    .action(async (flags: { bodies: number; bodyMib: number; signIns: number; json?: boolean }) => {
      const result = await runHubFloods({
        repoRoot: fileURLToPath(new URL('..', import.meta.url)),
        bodies: flags.bodies,
        bodyMiB: flags.bodyMib,
        signIns: flags.signIns,
        log: (line) => process.stderr.write(`${line}\n`),
      });
      process.stdout.write(flags.json ? `${JSON.stringify(result, null, 2)}\n` : formatHubFloods(result));
    });
}

export function formatHubFloods(result: Awaited<ReturnType<typeof runHubFloods>>): string {
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
  const counts = (answers: Record<string, number>) =>
    Object.entries(answers)
      .map(([answer, n]) => `${n} × ${answer}`)
      .join(', ');
  const { signIn } = result;
  return [
    'Hub resident memory under floods of large bodies (MiB)',
    ...result.floods.map(
      (f) =>
        `  ${f.what}: ${f.rssBeforeMiB} → peak ${f.rssPeakMiB} (+${f.rssPeakMiB - f.rssBeforeMiB}), ` +
        `${f.rssAfterMiB} after (+${f.rssAfterMiB - f.rssBeforeMiB}); answers: ${counts(f.answers)}`,
    ),
    '',
    `Upload chunk (32 KiB) while ${signIn.signIns} sign-ins are checked`,
    `  quiet: median ${median(signIn.chunkMsQuiet)} ms, max ${Math.max(...signIn.chunkMsQuiet)} ms`,
    `  during the flood: median ${median(signIn.chunkMsDuringFlood)} ms, max ${Math.max(...signIn.chunkMsDuringFlood)} ms`,
    `  sign-in answers: ${counts(signIn.answers)}`,
    '',
  ].join('\n');
}

export function formatHubBench(aggregation: AggregationFigure[], scale: ScaleRun): string {
  const lines = [
    `Hub aggregation throughput (${aggregation[0]?.sites ?? 0} updates of ${aggregation[0]?.parameters ?? 0} parameters)`,
    '  compression  bytes/update  seconds  MB/s sealed  MB/s as float32',
    ...aggregation.map(
      (a) =>
        `  ${a.compression.padEnd(11)}  ${String(a.sealedBytesPerUpdate).padStart(12)}  ${a.seconds.toFixed(3).padStart(7)}  ` +
        `${a.megabytesPerSecond.toFixed(1).padStart(11)}  ${a.float32MegabytesPerSecond.toFixed(1).padStart(15)}`,
    ),
    '',
    `Scale run: ${scale.sites} simulated sites, ${scale.parameters} parameters (${scale.float32ModelBytes} bytes as float32), ${scale.compression} updates`,
    `  enroll + join all sites: ${scale.enrollSeconds.toFixed(2)} s`,
    '  round  uploads (s)  aggregation (s)  round (s)  bytes uploaded  per site vs float32',
    ...scale.rounds.map(
      (r) =>
        `  ${String(r.round).padStart(5)}  ${r.uploadSeconds.toFixed(2).padStart(11)}  ${r.aggregationSeconds.toFixed(2).padStart(15)}  ` +
        `${r.roundSeconds.toFixed(2).padStart(9)}  ${String(r.bytesUploaded).padStart(14)}  ` +
        `${(r.bytesUploaded / scale.sites / scale.float32ModelBytes).toFixed(2).padStart(19)}`,
    ),
    `  aggregation inside the hub: ${scale.aggregationMegabytesPerSecond.toFixed(1)} MB/s of sealed updates`,
    '',
  ];
  return lines.join('\n');
}
