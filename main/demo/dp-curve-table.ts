// The DP curve's points as the Markdown table docs/benchmarks.md and docs/differential-privacy.md quote.
import type { DpCurvePoint } from './dp-curve.ts';

export function formatDpCurve(points: readonly DpCurvePoint[]): string {
  const rows = [
    '| patients per site (training) | model | start | trained layers | ε (δ = 1e-5) | σ | ρ = σ√d/(q·N·√T) | AUC | AUC loss | AUC loss, same start | AUC loss, same layers without noise | seconds |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...points.map(
      (p) =>
        `| ${p.patientsPerSite} (${p.trainPatientsPerSite}) | ${p.model} | ${p.start} | ${p.trainableLayers ?? '–'} | ${p.epsilon ?? 'no DP'} | ` +
        `${p.noiseMultiplier ?? '–'} | ${p.noiseToSignal === null ? '–' : p.noiseToSignal.toPrecision(3)} | ` +
        `${p.auc.toFixed(3)} | ${p.aucLoss === null ? '–' : p.aucLoss.toFixed(3)} | ` +
        `${p.aucLossSameStart === null ? '–' : p.aucLossSameStart.toFixed(3)} | ` +
        `${p.aucLossSameLayers === null ? '–' : p.aucLossSameLayers.toFixed(3)} | ${p.seconds.toFixed(0)} |`,
    ),
  ];
  return `${rows.join('\n')}\n`;
}
