// Does the demo's secure aggregate equal the plain mean up to its fixed-point quantisation, on real
// late-round updates (issue 16)? From a folder kept by bench/demo-rounds.ts --dir, the global model
// of round R − 1 is trained for one round at each hospital with the sites' own trainer at the task's
// rate for round R (round-work.ts's options); the updates are then combined three ways: the exact
// weighted mean (float64), the plain upload's path (each update through float16, then the weighted
// mean), and a real SecAgg+ round with the demo's clip range and bits (runLocalRound). Each path's
// error against the exact mean, per kind of tensor, and the test AUC of global + each mean.
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  decodeWeights,
  encodeWeights,
  taskDefinitionSchema,
  type NamedTensor,
} from '../../shared/federation/index.ts';
import { openSqliteDatabase } from '../../shared/node/index.ts';
import { runLocalRound } from '../../shared/node/secagg/index.ts';
import { buildCohort } from '../site/cohort/index.ts';
import {
  evaluateWeights,
  readTrainedWeights,
  roundLearningRate,
  toNamedValues,
  trainingTaskFor,
} from '../site/federation/index.ts';
import { openSite } from '../site/index.ts';
import { trainLocalModel } from '../site/train/index.ts';
import { prepareDemoData } from './demo-data.ts';
import {
  DEMO_COHORT_TASK,
  DEMO_DEFAULTS,
  DEMO_SECURE_AGGREGATION,
  demoTaskDefinition,
} from './demo-options.ts';
import { publishedGlobalModels } from './round-test-auc.ts';

export interface PathError {
  readonly kind: 'weights' | 'running statistics';
  /** Root mean square and largest value of the exact mean update. */
  readonly updateRms: number;
  readonly updateMax: number;
  readonly float16Rms: number;
  readonly float16Max: number;
  readonly secureRms: number;
  readonly secureMax: number;
}

export interface SecureRoundCheck {
  readonly round: number;
  readonly learningRate: number;
  readonly errors: PathError[];
  readonly testAuc: { exact: number | null; float16: number | null; secure: number | null };
}

export async function checkSecureRoundAgainstMean(options: {
  readonly dir: string;
  readonly round: number;
  readonly seed: number;
  readonly threads?: number;
}): Promise<SecureRoundCheck> {
  const { dir, round } = options;
  const settings = { ...DEMO_DEFAULTS, seed: options.seed };
  const definition = taskDefinitionSchema.parse(demoTaskDefinition(settings));
  const task = trainingTaskFor('check', definition);
  const threads = options.threads ? { threads: options.threads } : {};
  // The kept hub holds the one task the federation defined.
  const hubDatabase = openSqliteDatabase(join(dir, 'hub', 'hub.db'), {
    readOnly: true,
    synchronous: 'NORMAL',
  });
  const taskId = (hubDatabase.prepare('SELECT id FROM tasks LIMIT 1').get() as { id: string }).id;
  hubDatabase.close();
  let found: NamedTensor[] | null = null;
  for await (const model of publishedGlobalModels(join(dir, 'hub'), taskId))
    if (model.version === round - 1) found = model.weights;
  if (!found) throw new Error(`No global model v${round - 1} in ${dir}.`);
  const base = found;
  const work = mkdtempSync(join(dir, 'check-'));
  try {
    const learningRate = roundLearningRate(definition, round);
    const updates: { siteId: string; delta: NamedTensor[]; examples: number }[] = [];
    for (const key of ['site-01', 'site-02', 'site-03']) {
      const site = openSite(join(dir, 'sites', key));
      const cohort = (() => {
        try {
          return buildCohort(site, DEMO_COHORT_TASK.id);
        } finally {
          site.database.close();
        }
      })();
      const checkpointDir = join(work, key);
      await trainLocalModel({
        task,
        train: cohort.train,
        validation: cohort.validation,
        cacheDir: join(work, 'cache'),
        checkpointDir,
        ...threads,
        epochs: 1,
        batchSize: definition.batchSize,
        learningRate,
        schedule: { kind: 'constant' },
        patience: 0,
        seed: round,
        initialWeights: toNamedValues(base),
      });
      const local = await readTrainedWeights(join(checkpointDir, 'epoch-0001', 'model'), base);
      updates.push({
        siteId: key,
        examples: cohort.train.length,
        delta: local.map((t, i) => ({ ...t, data: t.data.map((v, j) => v - base[i]!.data[j]!) })),
      });
    }
    const total = updates.reduce((n, u) => n + u.examples, 0);
    const weightedMean = (deltas: NamedTensor[][]) =>
      base.map((t, ti) => {
        const out = new Float64Array(t.data.length);
        deltas.forEach((delta, si) => {
          const w = updates[si]!.examples / total;
          for (let i = 0; i < out.length; i++) out[i] = out[i]! + w * delta[ti]!.data[i]!;
        });
        return out;
      });
    const exact = weightedMean(updates.map((u) => u.delta));
    const half = weightedMean(updates.map((u) => decodeWeights(encodeWeights(u.delta, 'float16'))));
    const secure = await runLocalRound({
      sites: updates,
      clipRange: DEMO_SECURE_AGGREGATION.clipRange,
      bits: DEMO_SECURE_AGGREGATION.bits,
    });
    const masked = secure.sums.map((sum) => sum.map((v) => v / secure.totalWeight));
    const errors = (['weights', 'running statistics'] as const).map((kind): PathError => {
      const tensors = base
        .map((_, i) => i)
        .filter((i) => /moving_(mean|variance)/.test(base[i]!.name) === (kind === 'running statistics'));
      const stats = (value: (t: number, i: number) => number) => {
        let squares = 0;
        let count = 0;
        let max = 0;
        for (const t of tensors)
          for (let i = 0; i < base[t]!.data.length; i++) {
            const v = value(t, i);
            squares += v * v;
            count += 1;
            max = Math.max(max, Math.abs(v));
          }
        return { rms: Math.sqrt(squares / Math.max(1, count)), max };
      };
      const update = stats((t, i) => exact[t]![i]!);
      const f16 = stats((t, i) => half[t]![i]! - exact[t]![i]!);
      const sec = stats((t, i) => masked[t]![i]! - exact[t]![i]!);
      return {
        kind,
        updateRms: update.rms,
        updateMax: update.max,
        float16Rms: f16.rms,
        float16Max: f16.max,
        secureRms: sec.rms,
        secureMax: sec.max,
      };
    });
    const test = (await prepareDemoData(join(work, 'data'), settings)).test;
    const aucOf = async (delta: Float64Array[]) =>
      (
        await evaluateWeights({
          task,
          weights: base.map((t, i) => ({
            ...t,
            data: Float32Array.from(t.data, (v, j) => v + delta[i]![j]!),
          })),
          items: test,
          cacheDir: join(work, 'cache'),
          ...threads,
        })
      ).auc;
    return {
      round,
      learningRate,
      errors,
      testAuc: { exact: await aucOf(exact), float16: await aucOf(half), secure: await aucOf(masked) },
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
