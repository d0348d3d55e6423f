// The weights file format, stable and versioned, so that a model saved by one RadFed version at one
// site loads at another and a federated round can exchange it:
//   <name>.json  manifest: format name and version, the model it belongs to, and for each tensor its
//                name, shape, byte offset and element count;
//   <name>.bin   the tensors' values back to back, float32, little-endian whatever the machine.
// The manifest carries the SHA-256 of the binary, so a truncated or mixed-up pair is refused.
import { readFile } from 'node:fs/promises';
import {
  decodeWeights as decodeSharedWeights,
  encodeWeights as encodeSharedWeights,
  WeightsFormatError,
  writeFileAtomicallyAsync,
  type NamedValues,
  type WeightsManifest,
} from '../../../../shared/node/index.ts';
import { JsonTextError, parseJsonText } from '../../../../shared/json-text.ts';
import { errorCode } from '../../../../shared/log-safety.ts';
import { TrainError } from '../errors.ts';

export { WEIGHTS_FORMAT, WEIGHTS_FORMAT_VERSION } from '../../../../shared/node/index.ts';
export type { NamedValues, WeightsManifest } from '../../../../shared/node/index.ts';

/** The shared encoder (shared/node/weights-format.ts), its refusals as the training room's TrainError. */
export function encodeWeights(
  tensors: readonly NamedValues[],
  meta: WeightsManifest['meta'],
): { manifest: WeightsManifest; data: Uint8Array } {
  return asTrainError(() => encodeSharedWeights(tensors, meta));
}

export function decodeWeights(
  manifestJson: unknown,
  data: Uint8Array,
): { manifest: WeightsManifest; tensors: NamedValues[] } {
  return asTrainError(() => decodeSharedWeights(manifestJson, data));
}

function asTrainError<T>(run: () => T): T {
  try {
    return run();
  } catch (error) {
    if (error instanceof WeightsFormatError) throw new TrainError('invalid-weights', error.message);
    throw error;
  }
}

/**
 * Writes `<base>.bin`, then `<base>.json`, each by the one atomic writer (flushed, renamed, folder
 * flushed). The data goes first: the manifest names its SHA-256, so a reader between the two writes,
 * or after a crash between them, finds a pair that does not match and refuses it.
 */
export async function writeWeightsFiles(
  base: string,
  encoded: ReturnType<typeof encodeWeights>,
): Promise<void> {
  await writeFileAtomicallyAsync(`${base}.bin`, encoded.data);
  await writeFileAtomicallyAsync(`${base}.json`, `${JSON.stringify(encoded.manifest, null, 1)}\n`);
}

export async function readWeightsFiles(base: string): Promise<ReturnType<typeof decodeWeights>> {
  let manifest: unknown;
  try {
    manifest = parseJsonText(await readFile(`${base}.json`, 'utf8'), {
      what: `The weights manifest ${base}.json`,
      todo: 'Export the weights again.',
    });
  } catch (error) {
    // Its sentence (line and column) or the system's code, never the system's message (log-safety.ts).
    if (error instanceof JsonTextError) throw new TrainError('invalid-weights', error.message);
    throw new TrainError(
      'invalid-weights',
      `Cannot read the weights manifest ${base}.json (${errorCode(error)}): check the path.`,
    );
  }
  return decodeWeights(manifest, new Uint8Array(await readFile(`${base}.bin`)));
}
