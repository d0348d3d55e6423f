// The demo's results: one structure for machines (--json) and the table people read.
import { describeFederation, type FederationFigures, type LastRoundsAuc } from './demo-comparison.ts';
import {
  describeCutLeakages,
  describeSplitFigures,
  type DemoCutLeakage,
  type SplitFigures,
} from './demo-split.ts';
import { describeDemoLeakage, type DemoLeakage } from './demo-split-leakage.ts';
import type { DemoSettings } from './demo-options.ts';
import type { RoundFigures } from './round-tracker.ts';
import { formatBytes } from './byte-size.ts';

export interface ModelResult {
  readonly name: string;
  readonly kind: 'local' | 'federated' | 'pooled';
  readonly auc: number | null;
  readonly accuracy: number;
  readonly loss: number;
  /** Images it was trained on (all sites' for federated and pooled). */
  readonly trainImages: number;
  readonly trainSeconds: number;
  /** Which epoch (local, pooled) or global model version (federated) was kept: always the last. */
  readonly kept: string;
}

export interface DemoResult {
  readonly settings: DemoSettings;
  readonly directory: string;
  readonly sites: {
    name: string;
    scanner: string;
    deidentifiedFiles: number;
    excludedByConsent: number;
    trainImages: number;
    validationImages: number;
    patients: number;
    testStudies: number;
  }[];
  readonly testImages: number;
  readonly models: ModelResult[];
  readonly rounds: RoundFigures[];
  /** Raw float32 size of the model: what an uncompressed update would weigh. */
  readonly modelBytes: number;
  readonly seconds: {
    setup: number;
    federation: number;
    baselines: number;
    evaluation: number;
    total: number;
  };
  /** The federation the demo shows (secure aggregation unless `--no-secagg`): who took part, bytes, time. */
  readonly federation: FederationFigures;
  /**
   * `--method split`: what the steps cost (null figures: no site reported a step) and how many steps
   * the hub's trunk applied; null for a method that exchanges once per round.
   */
  readonly split: {
    readonly figures: SplitFigures | null;
    readonly trunkSteps: number;
    /** The leakage meter's figures each site measured for the cut when it approved the task. */
    readonly leakage: DemoCutLeakage[];
    /** The meter run by the demo itself on one hospital's images, without and with the defences. */
    readonly meter: DemoLeakage | null;
  } | null;
  /** Whether the federated model's AUC beats every local-only model's on the pooled test set. */
  readonly federatedBeatsEveryLocal: boolean;
}

const f3 = (value: number | null) => (value === null ? '  n/a' : value.toFixed(3));

/**
 * The part of a round not spent training, as a fraction of training time: the round's wall time less
 * the slowest site's training (the round cannot close before it), over that training time.
 */
export function outsideTraining(round: RoundFigures): number | null {
  const train = Object.values(round.trainSeconds);
  if (round.seconds === null || train.length === 0) return null;
  const slowest = Math.max(...train);
  return slowest > 0 ? Math.max(0, round.seconds - slowest) / slowest : null;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** The learning rate the sites reported for the round: one figure when they agree (the task's schedule). */
export function sitesRate(round: RoundFigures): string {
  const rates = [...new Set(Object.values(round.learningRates).map((rate) => rate.toPrecision(3)))];
  return rates.length === 0 ? 'n/a' : rates.length === 1 ? rates[0]! : rates.join('/');
}

/**
 * The last global models on the test set, and how to read the last one: it is one draw from where the
 * last rounds land, and another run of the same task (another seed, or secure aggregation's random
 * rounding) lands elsewhere in that range (docs/demo.md, "Measured").
 */
export function describeLastRounds(last: LastRoundsAuc): string | null {
  if (last.rounds < 2 || last.meanAuc === null) return null;
  return (
    `Test AUC of the last ${last.rounds} global models: mean ${f3(last.meanAuc)} (${f3(last.minAuc)}\u2013${f3(last.maxAuc)}). ` +
    'The last model is one draw from that range: compare two federations on this mean, or over several seeds (--seed), not on the last model alone.'
  );
}

const percent = (value: number | null) => (value === null ? 'n/a' : `${(value * 100).toFixed(0)} %`);

/** How the comparison is kept fair, in the table's own words. */
export function fairness(settings: DemoSettings): string[] {
  const epochs = settings.rounds * settings.localEpochs;
  return [
    `A fair comparison: every model is the same network from the same initial weights, trained with the same`,
    `batch size (${settings.batchSize}) and learning rate (${settings.learningRate}) for ${epochs} epochs over its data (federated: ${settings.rounds} rounds`,
    `of ${settings.localEpochs} local epoch${settings.localEpochs === 1 ? '' : 's'} at each hospital), kept as it is at the end of training (no pick of a best epoch),`,
    `and scored on the same pooled test set. Local-only: what each hospital gets alone. Pooled: the upper`,
    `reference, all data in one place, which federation approaches without any image leaving a hospital.`,
  ];
}

export function formatDemoTable(result: DemoResult): string {
  const lines: string[] = [];
  const width = Math.max(...result.models.map((m) => m.name.length), 28);
  lines.push(
    `Pooled held-out test set: ${result.testImages} radiographs of patients no site trained on, from all ${result.sites.length} hospitals.`,
  );
  lines.push('');
  lines.push(`${'Model'.padEnd(width)}  AUC    Accuracy  Trained on             Training time`);
  lines.push(`${'-'.repeat(width)}  -----  --------  ---------------------  -------------`);
  for (const m of result.models) {
    lines.push(
      `${m.name.padEnd(width)}  ${f3(m.auc)}  ${m.accuracy.toFixed(3).padStart(8)}  ${`${m.trainImages} images`.padEnd(9)}${m.kind === 'local' ? ' (one site)  ' : ' (all sites) '}  ${m.trainSeconds.toFixed(1).padStart(7)} s`,
    );
  }
  lines.push('');
  lines.push(...fairness(result.settings));
  lines.push('');
  lines.push(
    `Rounds of the federated model (model: ${formatBytes(result.modelBytes)} as raw float32; updates ` +
      `${result.federation.homomorphic ? 'encrypted homomorphically (CKKS) under the sites\u2019 key, then sealed to the hub' : `${result.federation.secureAggregation ? 'masked as 32-bit integers for secure aggregation' : result.settings.compression}, encrypted`}):`,
  );
  lines.push(
    'Round  Time      Outside training  Sent by all sites  Per site (mean)  vs raw float32  Federated validation AUC  Test AUC  Sites\u2019 rate',
  );
  for (const r of result.rounds) {
    const sent = Object.values(r.bytesSent);
    const total = sent.reduce((a, b) => a + b, 0);
    const mean = sent.length > 0 ? total / sent.length : 0;
    lines.push(
      `${String(r.round).padStart(5)}  ${r.seconds === null ? '     n/a' : `${r.seconds.toFixed(1).padStart(6)} s`}  ${percent(outsideTraining(r)).padStart(16)}  ${formatBytes(total).padStart(17)}  ${formatBytes(mean).padStart(15)}  ` +
        `${`${((mean / result.modelBytes) * 100).toFixed(0)} %`.padStart(14)}  ${f3(r.validation?.auc ?? null).padStart(24)}  ` +
        `${f3(r.testAuc).padStart(8)}  ${sitesRate(r).padStart(11)}`,
    );
  }
  const fractions = result.rounds.map(outsideTraining).filter((x): x is number => x !== null);
  if (fractions.length > 0) {
    lines.push(
      `Outside local training (download, upload, aggregation, waiting for the slowest site): median ${percent(median(fractions))} of the training time per round.`,
    );
  }
  lines.push('', ...describeFederation(result.federation, result.modelBytes));
  const lastRounds = describeLastRounds(result.federation.lastRounds);
  if (lastRounds) lines.push(lastRounds);
  if (result.split?.figures)
    lines.push(
      '',
      ...describeSplitFigures(result.split.figures, result.split.trunkSteps),
      describeCutLeakages(result.split.leakage),
      ...(result.split.meter ? describeDemoLeakage(result.split.meter) : []),
    );
  lines.push('');
  const s = result.seconds;
  lines.push(
    `Time: ${s.total.toFixed(0)} s in all (setup ${s.setup.toFixed(0)} s, federation ${s.federation.toFixed(0)} s, ` +
      `baselines ${s.baselines.toFixed(0)} s, evaluation ${s.evaluation.toFixed(0)} s).`,
  );
  const federated = result.models.find((m) => m.kind === 'federated');
  lines.push(
    result.federatedBeatsEveryLocal
      ? `The federated model (AUC ${f3(federated?.auc ?? null)}) beats every hospital's local-only model on the pooled test set, and no image left any hospital.`
      : `This time the federated model (AUC ${f3(federated?.auc ?? null)}) did not beat every local-only model; see the table.`,
  );
  return lines.join('\n');
}
