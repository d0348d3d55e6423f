// The real demo's federation alone (main/demo/federation-rounds.ts): every round's global model on the
// pooled test set and the sites' learning rate per round, for secure or plain aggregation and a seed.
// Issue 16: how far the secure run's models are from the plain run's, and two runs from each other.
// Run: node --import tsx bench/demo-rounds.ts [--no-secagg] [--seed 2024] [--json FILE] [--dir DIR]
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DEMO_DEFAULTS, runFederationRounds } from '../main/demo/index.ts';

const { values } = parseArgs({
  options: {
    'no-secagg': { type: 'boolean', default: false },
    seed: { type: 'string', default: String(DEMO_DEFAULTS.seed) },
    json: { type: 'string' },
    dir: { type: 'string' },
  },
});
const started = performance.now();
const say = (line: string) =>
  process.stdout.write(`[${((performance.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}\n`);
const result = await runFederationRounds({
  secureAggregation: !values['no-secagg'],
  settings: { seed: Number(values.seed) },
  ...(values.dir ? { dir: values.dir } : {}),
  threads: 2,
  say: (line) => {
    if (!line.startsWith('Round ')) say(line);
  },
});
const f3 = (x: number | null | undefined) => (x === null || x === undefined ? 'n/a' : x.toFixed(3));
for (const r of result.rounds)
  say(
    `round ${String(r.round).padStart(2)}: test AUC ${f3(r.testAuc)}, validation ${f3(r.validation?.auc)}, ` +
      `rates ${Object.values(r.learningRates)
        .map((x) => x.toPrecision(3))
        .join(' ')}, ${Object.keys(r.bytesSent).length} sites`,
  );
say(
  `${result.secureAggregation ? 'secure' : 'plain'} seed ${result.seed}: federation ${result.federationSeconds.toFixed(0)} s, ` +
    `scoring ${result.rounds.length} models on ${result.testImages} test images ${result.scoreSeconds.toFixed(1)} s, ` +
    `missed ${result.missed.length}`,
);
if (values.json) writeFileSync(values.json, JSON.stringify(result, null, 1));
