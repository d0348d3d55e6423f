// Issue 16: the demo's secure aggregate against the plain mean on one real late round's updates
// (main/demo/secagg-round-check.ts), from a folder kept by bench/demo-rounds.ts --dir.
// Run: node --import tsx bench/secagg-round-vs-mean.ts --dir DIR [--round 55] [--seed 2024]
import { parseArgs } from 'node:util';
import { checkSecureRoundAgainstMean } from '../main/demo/index.ts';

const { values } = parseArgs({
  options: {
    dir: { type: 'string' },
    round: { type: 'string', default: '55' },
    seed: { type: 'string', default: '2024' },
  },
});
if (!values.dir) throw new Error('--dir: give a folder kept by bench/demo-rounds.ts --dir.');
const check = await checkSecureRoundAgainstMean({
  dir: values.dir,
  round: Number(values.round),
  seed: Number(values.seed),
  threads: 2,
});
const e = (x: number) => x.toExponential(2);
for (const k of check.errors)
  process.stdout.write(
    `${k.kind}: mean update RMS ${e(k.updateRms)}, max ${e(k.updateMax)}; float16 path error RMS ${e(k.float16Rms)}, ` +
      `max ${e(k.float16Max)}; secure path error RMS ${e(k.secureRms)}, max ${e(k.secureMax)}\n`,
  );
const f4 = (x: number | null) => (x === null ? 'n/a' : x.toFixed(4));
process.stdout.write(
  `round ${check.round} (rate ${check.learningRate.toPrecision(3)}): test AUC of the round's start + mean update: ` +
    `exact ${f4(check.testAuc.exact)}, float16 ${f4(check.testAuc.float16)}, secure ${f4(check.testAuc.secure)}\n`,
);
