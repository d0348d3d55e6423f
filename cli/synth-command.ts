// `radfed synth OUT`: realistic multi-site synthetic studies full of fake PHI, for tests, demos and benchmarks.
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { synthesizeStudies } from '../main/site/synth/index.ts';
import { makeFolder } from '../shared/node/index.ts';
import { parseNonNegativeInt, parsePositiveInt } from './arguments.ts';
import { terminalProgress } from './progress.ts';

interface SynthFlags {
  sites: number;
  patients: number;
  seed: number;
  ctSlices?: number;
  ctMatrix?: number;
}

export function registerSynthCommand(program: Command): void {
  program
    .command('synth')
    .summary('write synthetic multi-site DICOM studies (fake patients, a learnable finding)')
    .description(
      'Write synthetic CT and radiograph studies for several sites into OUT, deterministic from the seed:\n' +
        'OUT/site-NN/... DICOM files full of fake PHI, OUT/labels/site-NN.csv (accession_number,label)\n' +
        'and OUT/consent/site-NN.csv. No real patient data is involved.',
    )
    .argument('<out>', 'folder to write the studies into')
    .option('--sites <n>', 'number of sites', (v) => parsePositiveInt(v, '--sites'), 3)
    .option('--patients <n>', 'patients per site', (v) => parsePositiveInt(v, '--patients'), 10)
    .option('--seed <n>', 'seed (same seed, same bytes)', (v) => parseNonNegativeInt(v, '--seed'), 1)
    .option('--ct-slices <n>', 'slices per CT series', (v) => parsePositiveInt(v, '--ct-slices'))
    .option('--ct-matrix <n>', 'CT image size in pixels (e.g. 512)', (v) =>
      parsePositiveInt(v, '--ct-matrix'),
    )
    .action(async (out: string, flags: SynthFlags) => {
      // First, with a sentence if it cannot be made: mkdir's recursive mode never returns under /proc.
      makeFolder(resolve(out), 'the output folder (OUT)');
      const progress = terminalProgress('Writing studies', 0);
      const result = await synthesizeStudies({
        outDir: resolve(out),
        sites: flags.sites,
        patients: flags.patients,
        seed: flags.seed,
        ctSlices: flags.ctSlices,
        ctMatrix: flags.ctMatrix,
        onProgress: (done: number) => progress.update(done),
      });
      progress.finish(`Wrote ${result.files.length} files for ${flags.sites} sites into ${resolve(out)}`);
    });
}
