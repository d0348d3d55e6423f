// `radfed bench …`: performance figures, each side by side with its reference (docs/benchmarks.md).
import type { Command } from 'commander';
import { parsePositiveInt } from './arguments.ts';
import { registerBenchBurnedInCommand } from './bench/burned-in.ts';
import { benchmarkDeid, formatDeidBench } from './bench/deid-benchmark.ts';
import { registerBenchReceiverFloodCommand } from './bench/receiver-flood.ts';
import { registerBenchDpCurveCommand } from './bench-dp-curve.ts';
import { registerBenchHeCommand } from './bench-he.ts';
import { registerBenchHubCommand } from './bench-hub.ts';
import { registerBenchSecAggCommand } from './bench-secagg.ts';
import { registerBenchSplitCommand } from './bench-split.ts';
import { registerBenchTrainCommand } from './bench-train.ts';

export function registerBenchCommands(program: Command): void {
  const bench = program.command('bench').summary('measure throughput against reference tools');
  registerBenchHubCommand(bench);
  registerBenchTrainCommand(bench);
  registerBenchSecAggCommand(bench);
  registerBenchReceiverFloodCommand(bench);
  registerBenchBurnedInCommand(bench);
  registerBenchDpCurveCommand(bench);
  registerBenchHeCommand(bench);
  registerBenchSplitCommand(bench);

  bench
    .command('deid')
    .summary('de-identification throughput vs plain copy and Orthanc')
    .description(
      'Generates a synthetic corpus of CT slices (or uses --corpus), then times `radfed deid` on it,\n' +
        "a plain `cp -r` of the same files, and Orthanc's anonymizer on loopback, in the same run.",
    )
    .option('--slices <n>', 'CT slices in the corpus', (v) => parsePositiveInt(v, '--slices'), 2000)
    .option('--matrix <n>', 'slice size in pixels', (v) => parsePositiveInt(v, '--matrix'), 512)
    .option(
      '--runs <n>',
      'runs per contender, taking turns (median reported)',
      (v) => parsePositiveInt(v, '--runs'),
      5,
    )
    .option('--corpus <folder>', 'use this folder of DICOM files instead of generating one')
    .option('--no-orthanc', 'leave Orthanc out')
    .option('--json', 'print JSON')
    .action(
      async (flags: {
        slices: number;
        matrix: number;
        runs: number;
        corpus?: string;
        orthanc: boolean;
        json?: boolean;
      }) => {
        const result = await benchmarkDeid({ ...flags, log: (line) => process.stderr.write(`${line}\n`) });
        process.stdout.write(flags.json ? `${JSON.stringify(result, null, 2)}\n` : formatDeidBench(result));
      },
    );
}
