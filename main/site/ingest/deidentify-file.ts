// De-identifies a quarantined file reading as little of it as it can, like `radfed deid`
// (main/site/batch/deid-file.ts): a file whose pixel data is its last element is de-identified from
// its first bytes alone (deidentifyHeader), and its pixel data is later copied from the file in pieces
// (research-files.ts). Memory then stays at a few megabytes whatever the image's size. Anything else
// (a header longer than the first bytes, a deflated or malformed file) is read whole, and gets exactly
// the outcome the whole file gives.
import { open, readFile } from 'node:fs/promises';
import {
  deidentifyHeader,
  deidentifyInstance,
  type DeidSettings,
  type InstanceOutcome,
} from '../deid/index.ts';

/** First reads: a CT or radiograph header fits the first; an MR with long vendor headers the second. */
const HEAD_READS = [64 * 1024, 4 * 1024 * 1024];
/** The largest file Node reads whole (readFile's limit): 2 GiB less one byte. */
export const MAX_WHOLE_FILE = 2 ** 31 - 1;

/** Where the rest of the de-identified file comes from: the source's bytes `from` to its end. */
export interface SourceTail {
  path: string;
  from: number;
  size: number;
}

export interface FileDeidentification {
  outcome: InstanceOutcome;
  /** Set when the outcome's output is only the header: the pixel data follows from the source. */
  tail?: SourceTail;
}

export async function deidentifyFromFile(
  path: string,
  size: number,
  settings: DeidSettings,
): Promise<FileDeidentification> {
  for (const length of HEAD_READS) {
    if (size <= length) break;
    const head = await readHead(path, length);
    const outcome = deidentifyHeader(head, size, settings);
    if (outcome === null) continue;
    if (outcome.sourceTailFrom === undefined || outcome.output === null) return { outcome };
    return { outcome, tail: { path, from: outcome.sourceTailFrom, size } };
  }
  if (size > MAX_WHOLE_FILE) {
    return {
      outcome: {
        status: 'rejected',
        reason:
          'the file is 2 GiB or larger and is not an image whose pixel data comes last, so it cannot be read whole; export the study in smaller files (one frame or series per file)',
        output: null,
        instance: null,
        actions: {},
      },
    };
  }
  return { outcome: deidentifyInstance(await readFile(path), settings) };
}

async function readHead(path: string, length: number): Promise<Buffer> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.allocUnsafe(length);
    let filled = 0;
    while (filled < length) {
      const { bytesRead } = await handle.read(buffer, filled, length - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return buffer.subarray(0, filled);
  } finally {
    await handle.close();
  }
}
