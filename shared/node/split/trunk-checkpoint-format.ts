// The split-learning trunk's checkpoint as one byte string, written by the hub's trunk keeper after each
// step (main/site/train/split/hub-trunk.ts) and read back by it after a restart, and by the hub's model
// export (hub/model-export.ts), which cannot import the site's training code. It holds the trunk's
// tensors and its optimizer's state (the radfed-weights format of shared/node/weights-format.ts, with its SHA-256), the number of steps
// applied, and each session's last applied step with the answer the site was (or is about to be) sent
// for it, so a restarted hub answers a retried gradient without applying it again.
//
//   u32 little-endian: the length of the JSON index, then the index, the weights data, the answers.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { RadfedError } from '../../errors.ts';
import {
  decodeWeights,
  encodeWeights,
  WeightsFormatError,
  weightsManifestSchema,
  type WeightsManifest,
} from '../weights-format.ts';

export interface FinishedSession {
  readonly session: string;
  readonly step: number;
  /** The `cut1-gradient` frame that answered that step. */
  readonly answer: Uint8Array;
}

/** One tensor of the trunk (a weight, or an optimizer's moment named after it). */
export interface TrunkTensor {
  name: string;
  shape: number[];
  values: Float32Array;
  trainable: boolean;
}

export interface TrunkState {
  readonly appliedSteps: number;
  readonly tensors: readonly TrunkTensor[];
  readonly sessions: readonly FinishedSession[];
}

export class TrunkCheckpointError extends RadfedError<'invalid-checkpoint'> {
  override readonly name = 'TrunkCheckpointError';
}

const indexSchema = z.object({
  format: z.literal('radfed-trunk-checkpoint'),
  version: z.literal(1),
  appliedSteps: z.number().int().nonnegative(),
  weights: weightsManifestSchema,
  weightsBytes: z.number().int().nonnegative(),
  sessions: z.array(
    z.object({
      session: z.string().regex(/^[0-9a-f]{32}$/),
      step: z.number().int().nonnegative(),
      bytes: z.number().int().nonnegative(),
    }),
  ),
  answersSha256: z.string().regex(/^[0-9a-f]{64}$/),
});

const refuse = (why: string) =>
  new TrunkCheckpointError(
    'invalid-checkpoint',
    `The split-learning trunk's checkpoint cannot be read (${why}); remove the task's split folder to start its trunk again.`,
  );

export function encodeTrunkState(state: TrunkState): Uint8Array {
  const { manifest, data } = encodeTensors(state.tensors);
  const answers = concat(state.sessions.map((s) => s.answer));
  const index = new TextEncoder().encode(
    JSON.stringify({
      format: 'radfed-trunk-checkpoint',
      version: 1,
      appliedSteps: state.appliedSteps,
      weights: manifest,
      weightsBytes: data.length,
      sessions: state.sessions.map((s) => ({ session: s.session, step: s.step, bytes: s.answer.length })),
      answersSha256: sha256(answers),
    }),
  );
  const head = new Uint8Array(4);
  new DataView(head.buffer).setUint32(0, index.length, true);
  return concat([head, index, data, answers]);
}

/** The trunk's state; throws TrunkCheckpointError, in words, when the bytes are damaged. */
export function decodeTrunkState(bytes: Uint8Array): TrunkState {
  if (bytes.length < 4) throw refuse('it is truncated');
  const indexLength = new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, true);
  if (4 + indexLength > bytes.length) throw refuse('it is truncated');
  let parsed;
  try {
    parsed = indexSchema.parse(JSON.parse(new TextDecoder().decode(bytes.subarray(4, 4 + indexLength))));
  } catch {
    throw refuse('its index is damaged');
  }
  const weightsFrom = 4 + indexLength;
  const answersFrom = weightsFrom + parsed.weightsBytes;
  const answersBytes = parsed.sessions.reduce((sum, s) => sum + s.bytes, 0);
  if (answersFrom + answersBytes !== bytes.length) throw refuse('its length does not match its index');
  const answers = bytes.subarray(answersFrom);
  if (sha256(answers) !== parsed.answersSha256) throw refuse('its stored answers are damaged');
  const tensors = decodeTensors(parsed.weights, bytes.subarray(weightsFrom, answersFrom));
  let offset = 0;
  const sessions = parsed.sessions.map((s) => {
    const answer = answers.slice(offset, offset + s.bytes);
    offset += s.bytes;
    return { session: s.session, step: s.step, answer };
  });
  return { appliedSteps: parsed.appliedSteps, tensors, sessions };
}

function encodeTensors(tensors: readonly TrunkTensor[]) {
  // A duplicate name or a wrong length is a programming error, not a damaged file: thrown as is.
  return encodeWeights(tensors, { kind: 'split-trunk' });
}

function decodeTensors(manifest: WeightsManifest, data: Uint8Array): TrunkTensor[] {
  try {
    return decodeWeights(manifest, data).tensors;
  } catch (error) {
    if (error instanceof WeightsFormatError) throw refuse(`its weights are damaged: ${error.message}`);
    throw error;
  }
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, p) => sum + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
