// `radfed demo --method split` (and the split row of `--compare`): the same hospitals train the demo's
// network by U-shaped split learning (SplitFed, docs/split-learning.md). The hub process the demo starts
// is `radfed hub serve`, which keeps every split task's trunk (TrunkKeeper) and checkpoints it after each
// step; the published global model holds the sites' averaged segments and the trunk as it started, so
// the model the demo scores is the last published one with the trunk from the hub's checkpoint. The
// sites' 'trained' events carry what the steps cost; this file turns them into the demo's figures.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NamedTensor, TaskDefinition, TaskDefinitionInput } from '../../shared/federation/index.ts';
import { readTrunkCheckpoint } from '../../hub/split/index.ts';
import { federationPaths } from '../site/federation/index.ts';
import { selectBackend } from '../site/train/index.ts';
import { trunkForTask } from '../site/train/split/index.ts';
import { loadLastGlobalModels } from './demo-federation.ts';
import type { RoundFigures } from './round-tracker.ts';

/** The demo's split task: cut where the model's definition names its cuts, float16 frames, labels kept. */
export const DEMO_SPLIT_STRATEGY = {
  name: 'splitfed',
  frameDtype: 'float16',
  labelSharing: false,
} as const satisfies TaskDefinitionInput['strategy'];

/** The demo task as split learning (the rest of the task, privacy included, as given). */
export function splitTaskDefinition(input: TaskDefinitionInput): TaskDefinitionInput {
  return { ...input, name: `${input.name}, split learning`, strategy: DEMO_SPLIT_STRATEGY };
}

/**
 * The split task's model as it stands after the federation: the last published model (the sites'
 * averaged segments) with the trunk's tensors from the hub's checkpoint (the trunk learns at the hub,
 * step by step, and is not in the round's model). Read after the hub process has stopped.
 */
export async function loadSplitModel(
  hubDir: string,
  taskId: string,
  definition: TaskDefinition,
  threads?: number,
): Promise<{ version: number; weights: NamedTensor[]; trunkSteps: number }> {
  const [published] = await loadLastGlobalModels(hubDir, taskId, 1);
  const saved = await readTrunkCheckpoint(hubDir, taskId);
  if (!saved) throw new Error('The hub kept no trunk for the split task: no step reached it.');
  // The trunk is a tfjs model; the demo process trains its baselines on the same backend anyway.
  await selectBackend({ choice: 'auto', ...(threads ? { threads } : {}) });
  const trunk = trunkForTask(definition);
  try {
    trunk.restore(saved.engine);
    const trained = new Map(
      await Promise.all(
        trunk.trunk.parameters.map(async (p) => [p.name, new Float32Array(await p.variable.data())] as const),
      ),
    );
    return {
      version: published!.version,
      weights: published!.weights.map((t) => ({ ...t, data: trained.get(t.name) ?? t.data })),
      trunkSteps: trunk.appliedSteps,
    };
  } finally {
    trunk.dispose();
  }
}

/** What split learning's steps cost over the whole federation, all sites together. */
export interface SplitFigures {
  readonly steps: number;
  readonly images: number;
  /** Activations at cut 1 and the gradient at cut 2, with their frame headers, per image and per step. */
  readonly bytesUpPerImage: number;
  readonly bytesDownPerImage: number;
  readonly bytesUpPerStep: number;
  readonly bytesDownPerStep: number;
  /** Steps of all sites over the time the slowest site spent stepping, round by round. */
  readonly stepsPerSecond: number;
  /** A step's time from the bottom's forward pass to its update, waiting for the trunk included. */
  readonly stepP50Ms: number;
  readonly stepP95Ms: number;
  readonly retries: number;
}

export function splitFigures(rounds: readonly RoundFigures[]): SplitFigures | null {
  const perSite = rounds.flatMap((r) => Object.values(r.split));
  if (perSite.length === 0) return null;
  const sum = (pick: (s: (typeof perSite)[number]) => number) => perSite.reduce((n, s) => n + pick(s), 0);
  const steps = sum((s) => s.steps);
  const images = sum((s) => s.images);
  const up = sum((s) => s.bytesUp);
  const down = sum((s) => s.bytesDown);
  const stepping = rounds.reduce(
    (n, r) => n + Math.max(0, ...Object.values(r.split).map((s) => s.seconds)),
    0,
  );
  const times = perSite.flatMap((s) => s.stepMs).sort((a, b) => a - b);
  return {
    steps,
    images,
    bytesUpPerImage: images > 0 ? up / images : 0,
    bytesDownPerImage: images > 0 ? down / images : 0,
    bytesUpPerStep: steps > 0 ? up / steps : 0,
    bytesDownPerStep: steps > 0 ? down / steps : 0,
    stepsPerSecond: stepping > 0 ? steps / stepping : 0,
    stepP50Ms: quantile(times, 0.5),
    stepP95Ms: quantile(times, 0.95),
    retries: sum((s) => s.retries),
  };
}

/** The nearest-rank quantile of sorted values (0 for none). */
function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/**
 * The leakage meter's figures for the task's cut at one site: each site measures them when it reviews a
 * split task for approval (main/site/federation/approval-split-leakage.ts: a decoder trained from the
 * activations back to its own images, and the labels read from the gradients' lengths) and keeps them
 * in its federation folder; null when that site kept none.
 */
export interface DemoCutLeakage {
  readonly site: string;
  readonly cut: string;
  readonly ssim: number;
  readonly psnr: number;
  readonly labelAuc: number | null;
  readonly heldOutImages: number;
}

export function readCutLeakage(site: { name: string; dir: string }, taskId: string): DemoCutLeakage | null {
  const file = join(federationPaths(site.dir).root, 'leakage', `${taskId}.json`);
  if (!existsSync(file)) return null;
  try {
    const kept = JSON.parse(readFileSync(file, 'utf8')) as {
      leakage?: {
        cut?: unknown;
        image?: { ssim?: unknown; psnr?: unknown };
        labelAuc?: unknown;
        heldOutImages?: unknown;
      };
    };
    const l = kept.leakage;
    if (typeof l?.cut !== 'string' || typeof l.image?.ssim !== 'number' || typeof l.image.psnr !== 'number')
      return null;
    return {
      site: site.name,
      cut: l.cut,
      ssim: l.image.ssim,
      psnr: l.image.psnr,
      labelAuc: typeof l.labelAuc === 'number' ? l.labelAuc : null,
      heldOutImages: typeof l.heldOutImages === 'number' ? l.heldOutImages : 0,
    };
  } catch {
    // A record the site could not finish is simply not shown.
    return null;
  }
}

/** The meter's line under the split figures: each site's figures for the cut, or why there are none. */
export function describeCutLeakages(leakages: readonly DemoCutLeakage[]): string {
  if (leakages.length === 0)
    return 'Leakage meter: no site kept figures for this cut (see docs/split-learning.md for measured ones).';
  const each = leakages
    .map(
      (l) =>
        `${l.site} SSIM ${l.ssim.toFixed(2)}, PSNR ${l.psnr.toFixed(1)} dB` +
        (l.labelAuc === null ? '' : `, label AUC ${l.labelAuc.toFixed(2)}`),
    )
    .join('; ');
  return (
    `Leakage meter at cut ${leakages[0]!.cut}, no defences (each site at approval, a decoder from the activations back to ` +
    `its own held-out images; SSIM 1 is the image itself): ${each}.`
  );
}

const bytes = (n: number) => `${Math.round(n).toLocaleString('en-US')} B`;

/** The lines under the table of `radfed demo --method split`. */
export function describeSplitFigures(f: SplitFigures, trunkSteps: number | null): string[] {
  return [
    `Split learning: ${f.steps} steps over the sites' sessions (${f.images} images` +
      `${trunkSteps === null ? '' : `; the hub's trunk applied ${trunkSteps} steps`}), ${f.retries} retried.`,
    `Per image: ${bytes(f.bytesUpPerImage)} up (activations at cut 1, gradient at cut 2), ${bytes(f.bytesDownPerImage)} down ` +
      `(trunk output, gradient at cut 1); per step ${bytes(f.bytesUpPerStep)} up, ${bytes(f.bytesDownPerStep)} down.`,
    `Steps: ${f.stepsPerSecond.toFixed(1)} per second, all sites together; a step took ${f.stepP50Ms.toFixed(0)} ms at the median ` +
      `and ${f.stepP95Ms.toFixed(0)} ms at p95 (from the bottom's forward pass to its update, waiting for the trunk included).`,
  ];
}
