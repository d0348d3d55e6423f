// What a site keeps on disk for a secure round, beside the round's other files (mode 0600): the
// update ready for masking (after the privacy pipeline), the round secrets and shares (secagg.json),
// and the sealed masked input once made. With them a restarted site takes up the round where it was,
// and never reveals a different kind of share for a neighbour than it revealed before.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import {
  assertFinite,
  decodeWeights,
  encodeWeights,
  participantSchema,
  secaggPlanSchema,
  weightDelta,
  type NamedTensor,
  type TaskDefinition,
} from '../../../shared/federation/index.ts';
import { newRoundSecrets } from '../../../shared/node/secagg/index.ts';
import { writeFileAtomically } from '../../../shared/node/index.ts';
import { prepareUpdateForUpload } from './update-pipeline.ts';

export interface UpdateForMasking {
  readonly delta: NamedTensor[];
  /** The weight the update asks for (its training images, or 1 with differential privacy). */
  readonly examples: number;
  /** Adaptive clipping: the noised centred bit, masked as one more element (null without it). */
  readonly clipBit: number | null;
}

/** local − global through the privacy pipeline, kept for masking (update.rfw + update-prepared.json). */
export function keepUpdateForMasking(
  dir: string,
  options: {
    local: readonly NamedTensor[];
    global: readonly NamedTensor[];
    examples: number;
    definition: TaskDefinition;
    /** The round's clip norm as the hub stated it (adaptive clipping). */
    clipNorm?: number | null;
  },
): UpdateForMasking {
  const raw = weightDelta(options.local, options.global);
  assertFinite(raw); // the hub could not tell: a NaN would only spoil the sum
  const prepared = prepareUpdateForUpload({ delta: raw, examples: options.examples }, options.definition, {
    clipNorm: options.clipNorm ?? null,
  });
  const clipBit = prepared.privacy?.clipBit ?? null;
  writeFileAtomically(join(dir, 'update.rfw'), encodeWeights(prepared.delta, 'none'), { mode: 0o600 });
  writeFileAtomically(
    join(dir, 'update-prepared.json'),
    JSON.stringify({ examples: prepared.examples, clipBit }),
    { mode: 0o600 },
  );
  return { delta: [...prepared.delta], examples: prepared.examples, clipBit };
}

export function readUpdateForMasking(dir: string): UpdateForMasking | null {
  const meta = join(dir, 'update-prepared.json');
  const bytes = join(dir, 'update.rfw');
  if (!existsSync(meta) || !existsSync(bytes)) return null;
  try {
    const { examples, clipBit } = z
      .object({ examples: z.number().int().min(1), clipBit: z.number().nullable().default(null) })
      .parse(JSON.parse(readFileSync(meta, 'utf8')));
    return { delta: decodeWeights(readFileSync(bytes)), examples, clipBit };
  } catch {
    rmSync(meta, { force: true }); // torn: made again from training
    return null;
  }
}

const roundFileSchema = z.object({
  secrets: z.object({ maskPrivateKey: z.string(), sharePrivateKey: z.string(), selfMaskSeed: z.string() }),
  ownShare: z.object({ selfMask: z.string(), maskKey: z.string() }).nullable(),
  held: z.record(z.string(), z.object({ selfMask: z.string(), maskKey: z.string() })),
  revealed: z.record(z.string(), z.enum(['self-mask', 'mask-key'])),
  /**
   * The plan, place and neighbourhood this site shared its keys under (secagg-plan-memory.ts): every
   * later phase must show the same. Null before sharing, and in files of sites from before it.
   */
  sharedUnder: z
    .object({
      plan: secaggPlanSchema,
      position: z.number().int().min(0),
      neighbours: z.array(participantSchema),
    })
    .nullable()
    .default(null),
});
export type SecureRoundFile = z.infer<typeof roundFileSchema>;

/** The round's secrets, made once and kept: a restart must advertise the same keys. */
export function loadSecureRound(dir: string): SecureRoundFile {
  const path = join(dir, 'secagg.json');
  if (existsSync(path)) return roundFileSchema.parse(JSON.parse(readFileSync(path, 'utf8')));
  const fresh: SecureRoundFile = {
    secrets: newRoundSecrets(),
    ownShare: null,
    held: {},
    revealed: {},
    sharedUnder: null,
  };
  saveSecureRound(dir, fresh);
  return fresh;
}

export function saveSecureRound(dir: string, file: SecureRoundFile): void {
  writeFileAtomically(join(dir, 'secagg.json'), JSON.stringify(file), { mode: 0o600 });
}
