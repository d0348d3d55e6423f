// A smoke run of the demo with a tiny configuration: real synthesis, real sites, a hub and two site
// agents as separate processes on loopback HTTPS, one round, the baselines and the table; without
// protection (`--no-secagg`), with it, and by split learning (`--method split`). `--compare` is
// compare-demo.spec.ts; `--dp` (DP fine-tuning) is dp-demo.spec.ts.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { taskDefinitionSchema, type NamedTensor } from '../../shared/federation/index.ts';
import { initialModelWeights, trainingTaskFor } from '../site/federation/index.ts';
import { demoTaskDefinition, formatDemoTable, runDemo } from './index.ts';
import { PLAIN_FEDERATION } from './demo-privacy.ts';
import { DEMO_SPLIT_STRATEGY } from './demo-split.ts';

const entry = fileURLToPath(new URL('./testing/radfed-entry.ts', import.meta.url));

describe('radfed demo', () => {
  it('runs a tiny federation without secure aggregation (--no-secagg) and reports every model on the pooled test set', async () => {
    const lines: string[] = [];
    let yardstickStart: readonly NamedTensor[] = [];
    const result = await runDemo({
      onYardstickStart: (weights) => {
        yardstickStart = weights;
      },
      privacy: PLAIN_FEDERATION,
      sites: 2,
      patientsPerSite: 12,
      rounds: 1,
      localEpochs: 1,
      imageSize: 32,
      threads: 1,
      launcher: { command: process.execPath, args: ['--import', 'tsx', entry] },
      say: (line) => lines.push(line),
    });
    expect(result.models.map((m) => m.kind)).toEqual(['local', 'local', 'federated', 'pooled']);
    expect(result.models.every((m) => m.accuracy >= 0 && m.accuracy <= 1)).toBe(true);
    expect(result.sites.map((s) => s.name)).toEqual(['Hospital A', 'Hospital B']);
    expect(result.sites.every((s) => s.deidentifiedFiles > 0 && s.trainImages > 0)).toBe(true);
    expect(result.testImages).toBeGreaterThan(0);
    expect(result.rounds).toHaveLength(1);
    const [round] = result.rounds;
    expect(Object.keys(round!.bytesSent).sort()).toEqual(['Hospital A', 'Hospital B']);
    // float16 updates: about half the raw float32 model, plus the sealing overhead.
    for (const bytes of Object.values(round!.bytesSent)) {
      expect(bytes).toBeGreaterThan(result.modelBytes * 0.45);
      expect(bytes).toBeLessThan(result.modelBytes * 0.6);
    }
    expect(round!.validation?.sites).toBe(2);
    // Each site reports the rate its trainer used (the task's schedule for round 1 of 1: the base rate),
    // and the round's global model is scored on the pooled test set: the federated model, as the last.
    expect(round!.learningRates).toEqual({ 'Hospital A': 0.002, 'Hospital B': 0.002 });
    expect(round!.testAuc).toBe(result.models.find((m) => m.kind === 'federated')!.auc);
    expect(
      lines.some((line) => /Hub started as its own process at https:\/\/127\.0\.0\.1:\d+/.test(line)),
    ).toBe(true);
    expect(
      lines.some((line) =>
        /Round 1: 2 sites trained .* the hub averaged them into global model v1/.test(line),
      ),
    ).toBe(true);
    const table = formatDemoTable(result);
    expect(table).toMatch(/Hospital A only\s+(\d\.\d{3}|n\/a)/);
    expect(table).toMatch(/Federated \(FedAvgM, 1 rounds\)/);
    expect(table).toMatch(/Pooled \(all data in one place\)/);
    expect(JSON.parse(JSON.stringify(result)).models).toHaveLength(4);
    expect(result.federation).toMatchObject({ secureAggregation: false, siteRounds: 2, siteRoundsIn: 2 });
    expect(existsSync(result.directory)).toBe(false); // a temporary folder is removed afterwards
    // The local-only and pooled models start where the federation started (the task's seed-0 initial
    // model), not from the federation's result, or they would be the federated model trained further.
    const initial = await initialModelWeights(
      trainingTaskFor('demo', taskDefinitionSchema.parse(demoTaskDefinition(result.settings))),
    );
    expect(yardstickStart.map((t) => t.name)).toEqual(initial.map((t) => t.name));
    expect(yardstickStart.every((t, i) => t.data.every((v, j) => v === initial[i]!.data[j]))).toBe(true);
  }, 180_000);

  it('runs the task with secure aggregation, as a real task runs by default', async () => {
    const lines: string[] = [];
    const result = await runDemo({
      sites: 3,
      patientsPerSite: 12,
      rounds: 1,
      localEpochs: 1,
      imageSize: 32,
      threads: 1,
      launcher: { command: process.execPath, args: ['--import', 'tsx', entry] },
      say: (line) => lines.push(line),
      privacy: { secureAggregation: true, differentialPrivacy: false },
    });
    const names = result.models.map((m) => m.name);
    expect(names).toContain('Federated with secure aggregation (FedAvgM, 1 rounds)');
    const main = result.federation;
    expect(main).toMatchObject({ secureAggregation: true, siteRounds: 3, siteRoundsIn: 3, missed: [] });
    expect(main.lastRounds.rounds).toBe(1);
    expect(main.epsilon).toBeNull();
    // Masked values travel as 32-bit integers: each site sends about the raw float32 model size.
    expect(main.bytesPerSitePerRound).toBeGreaterThan(result.modelBytes * 0.95);
    expect(main.bytesPerSitePerRound).toBeLessThan(result.modelBytes * 1.1);
    expect(result.split).toBeNull();
    const table = formatDemoTable(result);
    expect(table).toMatch(/Secure aggregation: every site in every round \(3 of 3 site-rounds\)/);
  }, 300_000);

  it('runs the hospitals by split learning against the trunk the hub process keeps (--method split)', async () => {
    const lines: string[] = [];
    const result = await runDemo({
      sites: 3,
      // The split task's approval runs the leakage meter, which needs 8 training images per site.
      patientsPerSite: 20,
      rounds: 2,
      localEpochs: 1,
      imageSize: 32,
      threads: 1,
      launcher: { command: process.execPath, args: ['--import', 'tsx', entry] },
      say: (line) => lines.push(line),
      strategy: DEMO_SPLIT_STRATEGY,
      methodWords: 'split learning',
    });
    expect(result.models.map((m) => m.kind)).toEqual(['local', 'local', 'local', 'federated', 'pooled']);
    expect(result.models.find((m) => m.kind === 'federated')!.name).toBe(
      'Federated with secure aggregation (split learning, 2 rounds)',
    );
    // Every site took part in both rounds, and the hub process's trunk applied every site's step.
    expect(result.federation).toMatchObject({ siteRounds: 6, siteRoundsIn: 6 });
    const split = result.split!;
    const figures = split.figures!;
    expect(figures.steps).toBeGreaterThan(0);
    expect(split.trunkSteps).toBe(figures.steps);
    expect(figures.images).toBe(2 * result.sites.reduce((n, s) => n + s.trainImages, 0));
    // float16 activations of each image at cut 1 (and the gradient at cut 2) each way, with headers.
    expect(figures.bytesUpPerImage).toBeGreaterThan(0);
    expect(figures.bytesDownPerImage).toBeGreaterThan(0);
    expect(figures.stepP95Ms).toBeGreaterThanOrEqual(figures.stepP50Ms);
    expect(figures.stepsPerSecond).toBeGreaterThan(0);
    const table = formatDemoTable(result);
    expect(table).toMatch(/Split learning: \d+ steps over the sites' sessions/);
    expect(table).toMatch(/Per image: [\d,]+ B up/);
    expect(table).toMatch(/at the median and \d+ ms at p95/);
    // Each site measured the cut's leakage at approval; the table quotes every site's figures.
    expect(split.leakage.map((l) => l.site)).toEqual(['Hospital A', 'Hospital B', 'Hospital C']);
    expect(table).toMatch(
      /Leakage meter at cut \w+, no defences .*Hospital C SSIM -?\d\.\d{2}, PSNR [\d.]+ dB/,
    );
    // And the demo's own meter run on Hospital A's images, without and with the defences.
    const meter = split.meter!;
    expect(meter.site).toBe('Hospital A');
    expect(meter.rows.map((r) => r.defences)).toEqual(['none', 'NoPeek 1, clip and noise ×0.5, max norm']);
    for (const { leakage } of meter.rows) {
      expect(leakage.image.ssim).toBeLessThanOrEqual(1);
      expect(Number.isFinite(leakage.image.psnr)).toBe(true);
    }
    expect(table).toMatch(/Leakage meter at cut \w+, on Hospital A's first \d+ training images/);
    expect(table).toMatch(/NoPeek 1, clip and noise ×0\.5, max norm\s+-?\d\.\d{3}\s+[\d.]+ dB/);
  }, 600_000);
});
