// The demo's results: one structure for machines (--json) and the table people read.
import type { DemoSettings } from './demo-options.ts';
import type { RoundFigures } from './round-tracker.ts';

export interface ModelResult {
  readonly name: string;
  readonly kind: 'local' | 'federated' | 'pooled';
  readonly auc: number | null;
  readonly accuracy: number;
  readonly loss: number;
  /** Images it was trained on (all sites' for federated and pooled). */
  readonly trainImages: number;
  readonly trainSeconds: number;
  /** Which epoch (local, pooled) or global model version (federated) was kept, by validation loss. */
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
  /** Whether the federated model's AUC beats every local-only model's on the pooled test set. */
  readonly federatedBeatsEveryLocal: boolean;
}

const f3 = (value: number | null) => (value === null ? '  n/a' : value.toFixed(3));
const mb = (bytes: number) => `${(bytes / 1e6).toFixed(2)} MB`;

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
  lines.push(
    `Rounds (model: ${mb(result.modelBytes)} as raw float32; updates ${result.settings.compression}, encrypted):`,
  );
  lines.push('Round  Time      Sent by all sites  Per site (mean)  vs raw float32  Federated validation AUC');
  for (const r of result.rounds) {
    const sent = Object.values(r.bytesSent);
    const total = sent.reduce((a, b) => a + b, 0);
    const mean = sent.length > 0 ? total / sent.length : 0;
    lines.push(
      `${String(r.round).padStart(5)}  ${r.seconds === null ? '     n/a' : `${r.seconds.toFixed(1).padStart(6)} s`}  ${mb(total).padStart(17)}  ${mb(mean).padStart(15)}  ` +
        `${`${((mean / result.modelBytes) * 100).toFixed(0)} %`.padStart(14)}  ${f3(r.validation?.auc ?? null)}`,
    );
  }
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
