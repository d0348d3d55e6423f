// `radfed bench deid`: throughput of `radfed deid` on a synthetic CT corpus, side by side in the same
// run with a plain file copy of the same corpus (the physical limit) and with Orthanc's anonymizer.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { listInputFiles } from '../../main/site/ingest/index.ts';
import { getString, parseDicom, Tags } from '../../main/site/dicom/index.ts';
import { synthesizeStudies } from '../../main/site/synth/index.ts';
import { CliError } from '../failure.ts';
import { anonymizeInstance, orthancAvailable, startOrthanc, uploadInstance } from './orthanc.ts';

export interface DeidBenchOptions {
  slices: number;
  matrix: number;
  runs: number;
  corpus?: string;
  orthanc: boolean;
  log(line: string): void;
}

export interface Throughput {
  name: string;
  seconds: number;
  filesPerSecond: number;
  megabytesPerSecond: number;
  note: string;
}

export interface DeidBenchResult {
  date: string;
  machine: string;
  corpus: { files: number; megabytes: number; matrix: number };
  rows: Throughput[];
  ratios: { ofCopy: number; overOrthanc: number | null };
}

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const RADFED_BIN = join(ROOT, 'bin', 'radfed.js');

function buildCliBundle(): void {
  const result = spawnSync(process.execPath, [join(ROOT, 'scripts', 'build-cli.mjs')], { cwd: ROOT });
  if (result.status !== 0)
    throw new CliError(`Could not build the radfed bundle: ${result.stderr.toString()}`);
}

export async function benchmarkDeid(options: DeidBenchOptions): Promise<DeidBenchResult> {
  const work = mkdtempSync(join(tmpdir(), 'radfed-bench-deid-'));
  try {
    const corpus = options.corpus ? resolve(options.corpus) : await buildCtCorpus(work, options);
    const files = await listInputFiles(corpus);
    const bytes = files.reduce((sum, file) => sum + statSync(file).size, 0);
    for (const file of files) readFileSync(file); // warm the page cache so every contender reads from memory
    const megabytes = bytes / 1e6;
    const rate = (name: string, seconds: number, note: string): Throughput => ({
      name,
      seconds,
      filesPerSecond: files.length / seconds,
      megabytesPerSecond: megabytes / seconds,
      note,
    });
    options.log(`Corpus: ${files.length} files, ${megabytes.toFixed(0)} MB in ${corpus}`);

    const copy = (): number => {
      const target = join(work, 'copy');
      const seconds = timeCommand('cp', ['-r', corpus, target]);
      rmSync(target, { recursive: true, force: true });
      return seconds;
    };

    // Time the command as installed (the bundle `npm ci` builds), not the TypeScript fallback that
    // bin/radfed.js uses while sources are newer than the bundle.
    buildCliBundle();
    const key = join(work, 'site.key');
    const deid = (): number => {
      const target = join(work, 'deid');
      const seconds = timeCommand(process.execPath, [RADFED_BIN, 'deid', corpus, target, '--key', key]);
      const report = JSON.parse(readFileSync(join(target, 'deid-report.json'), 'utf8')) as {
        totals: { deidentified: number };
      };
      if (report.totals.deidentified !== files.length) {
        throw new CliError(
          `radfed deid released ${report.totals.deidentified} of ${files.length} files; see ${join(target, 'deid-report.json')}.`,
        );
      }
      rmSync(target, { recursive: true, force: true });
      return seconds;
    };

    // The two take turns: on a virtual machine, how fast fresh memory comes changes from one minute
    // (even one run) to the next, and alternating gives both the same share of fast and slow moments.
    const copyRuns: number[] = [];
    const deidRuns: number[] = [];
    for (let run = 1; run <= options.runs; run++) {
      copyRuns.push(copy());
      deidRuns.push(deid());
      options.log(
        `run ${run}: plain copy ${copyRuns[run - 1]!.toFixed(2)} s, radfed deid ${deidRuns[run - 1]!.toFixed(2)} s`,
      );
    }
    const copySeconds = median(copyRuns);
    const deidSeconds = median(deidRuns);

    const rows = [
      rate('plain copy (cp -r)', copySeconds, 'the physical limit'),
      rate('radfed deid', deidSeconds, `Basic Profile, verified, ${availableParallelism()} threads`),
    ];
    let orthancSeconds: number | null = null;
    if (options.orthanc && orthancAvailable()) {
      const orthanc = await timeOrthanc(files, work, options.log);
      orthancSeconds = orthanc.seconds;
      rows.push(rate(`Orthanc ${orthanc.version} anonymize`, orthanc.seconds, orthanc.note));
    } else if (options.orthanc) {
      options.log(
        'Orthanc is not installed (/usr/sbin/Orthanc): its row is left out. apt-get install orthanc',
      );
    }
    return {
      date: new Date().toISOString(),
      machine: `${cpus()[0]?.model ?? 'unknown CPU'}, ${availableParallelism()} cores`,
      corpus: { files: files.length, megabytes, matrix: options.matrix },
      rows,
      ratios: {
        ofCopy: copySeconds / deidSeconds,
        overOrthanc: orthancSeconds === null ? null : orthancSeconds / deidSeconds,
      },
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** A folder of CT slices only, from a synth run. */
async function buildCtCorpus(work: string, options: DeidBenchOptions): Promise<string> {
  const slicesPerSeries = 100;
  const corpus = join(work, 'corpus');
  options.log(
    `Generating at least ${options.slices} synthetic CT slices (${options.matrix}x${options.matrix}) ...`,
  );
  // Each patient has one or two CT studies: plan for one, and the corpus is at least the size asked for.
  await synthesizeStudies({
    outDir: corpus,
    sites: 1,
    patients: Math.ceil(options.slices / slicesPerSeries),
    seed: 1,
    ctSlices: slicesPerSeries,
    ctMatrix: options.matrix,
    modalities: ['CT'],
  });
  // Some synthetic studies add a secondary capture image (held for burned-in text): keep CT slices only.
  const slices = join(corpus, 'site-01');
  for (const file of await listInputFiles(slices)) {
    if (getString(parseDicom(readFileSync(file)).dataset, Tags.Modality) !== 'CT') rmSync(file);
  }
  return slices;
}

async function timeOrthanc(files: string[], work: string, log: (line: string) => void) {
  const server = await startOrthanc(join(work, 'orthanc'));
  try {
    log(`Orthanc ${server.version}: uploading the corpus (not timed) ...`);
    const ids: string[] = [];
    for (const file of files) ids.push(await uploadInstance(server, readFileSync(file)));
    const out = join(work, 'orthanc-out');
    mkdirSync(out);
    const concurrency = availableParallelism() * 2;
    let next = 0;
    const started = process.hrtime.bigint();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < ids.length) {
          const index = next++;
          writeFileSync(join(out, `${index}.dcm`), await anonymizeInstance(server, ids[index] as string));
        }
      }),
    );
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    log(`Orthanc anonymize: ${seconds.toFixed(2)} s`);
    return {
      seconds,
      version: server.version,
      note: `REST /instances/{id}/anonymize, ${concurrency} requests in flight, upload not timed`,
    };
  } finally {
    await server.stop();
  }
}

function timeCommand(command: string, args: string[]): number {
  // Each contender starts with nothing left to write back: the corpus just generated, or the output
  // of the one before, would otherwise be flushed to disk during its run and be counted against it.
  spawnSync('sync');
  const started = process.hrtime.bigint();
  const result = spawnSync(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (result.status !== 0) {
    throw new Error(`${command} failed (exit ${result.status}): ${result.stderr.toString().slice(-300)}`);
  }
  return seconds;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

export function formatDeidBench(result: DeidBenchResult): string {
  const lines = [
    `radfed bench deid — ${result.date.slice(0, 10)}, ${result.machine}`,
    `corpus: ${result.corpus.files} CT slices ${result.corpus.matrix}x${result.corpus.matrix} 16-bit, ${result.corpus.megabytes.toFixed(0)} MB`,
    '',
    '| contender | seconds | files/s | MB/s | note |',
    '|---|---:|---:|---:|---|',
    ...result.rows.map(
      (r) =>
        `| ${r.name} | ${r.seconds.toFixed(2)} | ${r.filesPerSecond.toFixed(0)} | ${r.megabytesPerSecond.toFixed(0)} | ${r.note} |`,
    ),
    '',
    `radfed deid runs at ${(result.ratios.ofCopy * 100).toFixed(0)}% of plain copy throughput (target: at least 33%).`,
    result.ratios.overOrthanc === null
      ? 'Orthanc was not measured.'
      : `radfed deid is ${result.ratios.overOrthanc.toFixed(1)}x Orthanc's anonymizer (target: at least 5x).`,
  ];
  return `${lines.join('\n')}\n`;
}
