// How much the demo's last global model swings from round to round, at a constant learning rate and
// with the demo's `final-decay` schedule (the rate lowered over the last quarter of the rounds): the
// demo's federation (3 synthetic hospitals with their consoles, resnet-small, FedAvgM 0.7, Adam 0.002,
// one local epoch a round, batch 8) in one process (main/demo/in-process-federation.ts: the sites' own
// trainer and the hub's aggregation, no transport or secure aggregation), with every one of the last
// rounds' models scored on the pooled test set of held-out patients. Unlike the demo, each site trains
// on all its non-test patients (no validation share). Prints, per schedule, the last rounds' AUCs,
// their mean, range and the last model's distance from their mean.
// Run: node --import tsx bench/end-of-training.ts [--patients 90] [--rounds 60] [--last 10]
//      [--schedules constant,final-decay] [--threads 2] [--seed 2024]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  LEARNING_RATE_SCHEDULES,
  taskDefinitionSchema,
  type NamedTensor,
} from '../shared/federation/index.ts';
import {
  evaluateWeights,
  initialModelWeights,
  roundLearningRate,
  trainingTaskFor,
} from '../main/site/federation/index.ts';
import { curveData, DEMO_DEFAULTS, demoTaskDefinition, runInProcessFederation } from '../main/demo/index.ts';

const { values } = parseArgs({
  options: {
    patients: { type: 'string', default: String(DEMO_DEFAULTS.patientsPerSite) },
    rounds: { type: 'string', default: String(DEMO_DEFAULTS.rounds) },
    last: { type: 'string', default: '10' },
    schedules: { type: 'string', default: 'constant,final-decay' },
    threads: { type: 'string', default: '2' },
    seed: { type: 'string', default: String(DEMO_DEFAULTS.seed) },
  },
});
const settings = {
  ...DEMO_DEFAULTS,
  patientsPerSite: Number(values.patients),
  rounds: Number(values.rounds),
  seed: Number(values.seed),
};
const last = Number(values.last);
const threads = Number(values.threads);
const schedules = values.schedules.split(',').map((name) => {
  const schedule = LEARNING_RATE_SCHEDULES.find((known) => known === name);
  if (!schedule) throw new Error(`--schedules takes ${LEARNING_RATE_SCHEDULES.join(', ')}, not "${name}".`);
  return schedule;
});

const dir = mkdtempSync(join(tmpdir(), 'radfed-end-of-training-'));
try {
  const data = await curveData(dir, settings.patientsPerSite, settings);
  for (const schedule of schedules) {
    const input = demoTaskDefinition(settings);
    const definition = taskDefinitionSchema.parse({ ...input, optimizer: { ...input.optimizer, schedule } });
    const task = trainingTaskFor('end-of-training', definition);
    const aucs: number[] = [];
    const started = performance.now();
    const score = async (weights: readonly NamedTensor[]) =>
      (await evaluateWeights({ task, weights, items: data.test, cacheDir: join(dir, 'cache'), threads }))
        .auc ?? 0;
    await runInProcessFederation({
      task,
      sites: data.sites,
      initial: await initialModelWeights(task),
      rounds: settings.rounds,
      localEpochs: settings.localEpochs,
      batchSize: settings.batchSize,
      learningRate: settings.learningRate,
      learningRateOf: (round) => roundLearningRate(definition, round),
      strategy: definition.strategy,
      dp: null,
      workDir: dir,
      threads,
      onRound: async (round, rounds, global) => {
        if (round > rounds - last) aucs.push(await score(global));
      },
    });
    const mean = aucs.reduce((a, b) => a + b, 0) / aucs.length;
    process.stdout.write(
      `${schedule}: last ${aucs.length} rounds' test AUC ${aucs.map((a) => a.toFixed(3)).join(' ')}; ` +
        `mean ${mean.toFixed(3)}, range ${(Math.max(...aucs) - Math.min(...aucs)).toFixed(3)}, ` +
        `last − mean ${(aucs.at(-1)! - mean).toFixed(3)} (${data.test.length} test images, ` +
        `${((performance.now() - started) / 1000).toFixed(0)} s)\n`,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
