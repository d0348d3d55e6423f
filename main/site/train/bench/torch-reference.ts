// Runs ../shared/bench/torch_reference.py (PyTorch on the CPU, Debian's python3-torch) with the same
// settings as our benchmark, in the same session, and reads its final JSON line.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TrainError } from '../errors.ts';

export interface TorchFigure {
  impl: 'torch';
  device: string;
  threads: number;
  size: number;
  batch: number;
  images_per_s: number;
}

/** The project's own PyTorch references (bench/), for the models ../shared/bench (read-only) lacks. */
const PROJECT_REFERENCES: Record<string, string> = {
  'resnet-18': 'resnet18_reference.py',
  'densenet-121': 'densenet121_reference.py',
};

/**
 * The reference script beside the repository (../shared/bench/torch_reference.py for the reference
 * CNN, the project's bench/ for the others, found from the repository root whether this runs from
 * source or from the bundle in dist/), or RADFED_TORCH_REFERENCE for the reference CNN.
 */
export function defaultTorchScript(model = 'reference-cnn'): string {
  if (process.env.RADFED_TORCH_REFERENCE && model === 'reference-cnn')
    return process.env.RADFED_TORCH_REFERENCE;
  const own = PROJECT_REFERENCES[model];
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let up = 0; up < 8; up++) {
    const manifest = join(dir, 'package.json');
    if (
      existsSync(manifest) &&
      (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'radfed'
    ) {
      return own ? join(dir, 'bench', own) : join(dir, '..', 'shared', 'bench', 'torch_reference.py');
    }
    dir = dirname(dir);
  }
  return own ?? 'torch_reference.py';
}

/** The architectures that have a PyTorch reference script. */
export const TORCH_REFERENCE_MODELS = ['reference-cnn', 'resnet-18', 'densenet-121'] as const;

export function defaultPython(): string {
  return existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
}

export async function runTorchReference(options: {
  model?: string;
  size: number;
  batch: number;
  batches: number;
  epochs: number;
  threads: number;
  script?: string;
  python?: string;
}): Promise<TorchFigure> {
  const script = options.script ?? defaultTorchScript(options.model);
  if (!existsSync(script)) {
    throw new TrainError(
      'invalid-option',
      `The PyTorch reference script was not found at ${script}: pass --torch-script or set RADFED_TORCH_REFERENCE.`,
    );
  }
  const args = [
    script,
    '--size',
    String(options.size),
    '--batch',
    String(options.batch),
    '--batches',
    String(options.batches),
    '--epochs',
    String(options.epochs),
    '--threads',
    String(options.threads),
  ];
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile(options.python ?? defaultPython(), args, { maxBuffer: 1 << 20 }, (error, out, err) => {
      if (error) {
        const hint = /No module named 'torch'/.test(err)
          ? ' Install PyTorch (Debian: apt-get install python3-torch).'
          : '';
        reject(
          new TrainError(
            'invalid-option',
            `The PyTorch reference failed: ${err.trim().split('\n').pop()}.${hint}`,
          ),
        );
      } else resolve(out);
    });
  });
  const last = stdout.trim().split('\n').pop() ?? '';
  const figure = JSON.parse(last) as TorchFigure;
  if (figure.impl !== 'torch' || typeof figure.images_per_s !== 'number') {
    throw new TrainError('invalid-option', 'The PyTorch reference printed no final figure.');
  }
  return figure;
}
