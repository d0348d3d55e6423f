// Checkpoints after every epoch, so training resumes after a crash, a restart or a cancel from the
// last completed epoch. Each epoch is written to its own folder, then `latest.json` is replaced
// (shared/node/atomic-file.ts): a crash at any moment leaves the previous checkpoint intact. Only the latest
// and the best epoch are kept.
import { mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { JsonTextError, parseJsonText } from '../../../../shared/json-text.ts';
import { errorCode } from '../../../../shared/log-safety.ts';
import { writeFileAtomically, writeFileAtomicallyAsync } from '../../../../shared/node/index.ts';
import { TrainError } from '../errors.ts';
import {
  assignModelValues,
  encodeModel,
  encodeWeights,
  readWeightsFiles,
  writeWeightsFiles,
  type ImageModel,
  type NamedValues,
} from '../models/index.ts';

export interface TrainerState {
  /** What the checkpoint belongs to; resuming with another task or cohort is refused. */
  fingerprint: string;
  /** Epochs completed (the next epoch to run is this number). */
  epochsDone: number;
  bestEpoch: number;
  bestScore: number;
  epochsWithoutImprovement: number;
  history: unknown[];
}

interface Pointer {
  latest: string;
  best: string;
}

const POINTER = 'latest.json';

export async function saveCheckpoint(
  dir: string,
  model: ImageModel,
  optimizer: { name: string; state: NamedValues[] },
  state: TrainerState,
): Promise<void> {
  await mkdir(dir, { recursive: true });
  const name = `epoch-${String(state.epochsDone).padStart(4, '0')}`;
  const staging = join(dir, `${name}.partial-${process.pid}`);
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging);
  await writeWeightsFiles(join(staging, 'model'), await encodeModel(model));
  await writeWeightsFiles(
    join(staging, 'optimizer'),
    encodeWeights(optimizer.state, { kind: 'optimizer', name: optimizer.name }),
  );
  // Flushed like the weights: renaming the folder does not flush what is in it, and a torn state.json
  // after a power loss would refuse the whole checkpoint.
  await writeFileAtomicallyAsync(join(staging, 'state.json'), `${JSON.stringify(state, null, 1)}\n`);
  await rm(join(dir, name), { recursive: true, force: true });
  await rename(staging, join(dir, name));
  const best = `epoch-${String(state.bestEpoch + 1).padStart(4, '0')}`;
  const pointer: Pointer = { latest: name, best };
  // A few bytes: the one state-file writer, synchronous, is fine here.
  writeFileAtomically(join(dir, POINTER), JSON.stringify(pointer));
  for (const entry of await readdir(dir)) {
    if (entry.startsWith('epoch-') && entry !== name && entry !== best) {
      await rm(join(dir, entry), { recursive: true, force: true });
    }
  }
}

export interface LoadedCheckpoint {
  state: TrainerState;
  optimizerState: NamedValues[];
  bestWeightsBase: string;
}

/** Restores the latest checkpoint into `model`; undefined when the folder holds none. */
export async function loadLatestCheckpoint(
  dir: string,
  model: ImageModel,
  fingerprint: string,
): Promise<LoadedCheckpoint | undefined> {
  let pointer: Pointer;
  try {
    pointer = JSON.parse(await readFile(join(dir, POINTER), 'utf8')) as Pointer;
  } catch {
    return undefined;
  }
  const folder = join(dir, pointer.latest);
  let state: TrainerState;
  try {
    const text = await readFile(join(folder, 'state.json'), 'utf8');
    state = parseJsonText(text, { what: 'Its state.json', todo: '' }) as TrainerState;
  } catch (error) {
    // Line and column, or the system's code: never a piece of the file or a system message.
    const why =
      error instanceof JsonTextError && error.line !== null
        ? `its state.json goes wrong at line ${error.line}, column ${error.column}`
        : errorCode(error);
    throw new TrainError(
      'invalid-checkpoint',
      `The checkpoint ${pointer.latest} is damaged (${why}): remove the checkpoint folder to start again.`,
    );
  }
  if (state.fingerprint !== fingerprint) {
    throw new TrainError(
      'invalid-checkpoint',
      'The checkpoint folder holds another training run (different task, model or cohort): choose a new folder or remove it.',
    );
  }
  const weights = await readWeightsFiles(join(folder, 'model'));
  assignModelValues(model, weights.tensors, weights.manifest.meta);
  const optimizer = await readWeightsFiles(join(folder, 'optimizer'));
  return { state, optimizerState: optimizer.tensors, bestWeightsBase: join(dir, pointer.best, 'model') };
}

export function bestWeightsBase(dir: string, bestEpoch: number): string {
  return join(dir, `epoch-${String(bestEpoch + 1).padStart(4, '0')}`, 'model');
}
