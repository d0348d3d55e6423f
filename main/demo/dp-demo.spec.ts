// `radfed demo --dp`: the run its flags ask for (presets, refusals), the task it defines (the head as
// the trainable selection, σ calibrated for the rounds), a refusal before anything is synthesised, and
// a tiny real run: a hub and two site agents as processes, secure aggregation on, the public model
// pre-trained and cached, and the published model equal to the public one outside the head.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  decodeWeights,
  isDpTrainable,
  privacySpentAfter,
  taskDefinitionSchema,
} from '../../shared/federation/index.ts';
import { calibrateNoiseMultiplier } from '../../shared/privacy/index.ts';
import { DEMO_DEFAULTS } from './demo-options.ts';
import { loadLastGlobalModels } from './demo-federation.ts';
import { DEMO_DP_PRESET, dpDemoTaskDefinition } from './demo-privacy.ts';
import { dpDemoPlan, publicModelCache, type DpDemoFlags } from './dp-demo-options.ts';
import { runDpDemo } from './dp-demo.ts';
import { formatDpDemoTable } from './dp-demo-report.ts';
import { DemoRefusedError } from './run-demo.ts';

const entry = fileURLToPath(new URL('./testing/radfed-entry.ts', import.meta.url));
const flags: DpDemoFlags = {
  sites: 3,
  localEpochs: 1,
  size: 64,
  seed: DEMO_DEFAULTS.seed,
  method: 'fedavg',
  scale: 'default',
};

describe('radfed demo --dp: what it runs', () => {
  it('takes the DP preset where --patients and --rounds are not given, and the group-norm model', () => {
    const plan = dpDemoPlan(flags, { XDG_CACHE_HOME: '/var/cache/someone' });
    expect(plan.settings).toMatchObject({
      patientsPerSite: DEMO_DP_PRESET.patientsPerSite,
      rounds: DEMO_DP_PRESET.rounds,
      model: 'resnet-small-gn',
    });
    expect(plan.epsilon).toBe(8);
    expect(plan.publicModelDir).toBe('/var/cache/someone/radfed/demo');
    const sized = dpDemoPlan({ ...flags, patients: 120, rounds: 12, dir: '/tmp/d', keep: true });
    expect(sized.settings).toMatchObject({ patientsPerSite: 120, rounds: 12 });
    // With --dir the public model is kept in the work folder beside the run.
    expect(sized).toMatchObject({ publicModelDir: '/tmp/d', dir: '/tmp/d', keep: true });
    expect(publicModelCache({})).toMatch(/\.cache\/radfed\/demo$/);
  });

  it('refuses the flags that ask for another run, naming each', () => {
    expect(() => dpDemoPlan({ ...flags, secagg: false, method: 'cyclic' })).toThrow(DemoRefusedError);
    expect(() => dpDemoPlan({ ...flags, secagg: false, method: 'cyclic', scale: 'realistic' })).toThrow(
      /leave out --method cyclic, --no-secagg, --scale realistic\.$/,
    );
    expect(() => dpDemoPlan({ ...flags, homomorphic: true })).toThrow(/leave out --homomorphic\.$/);
  });

  it('defines a task that trains only the head at every site, σ calibrated for its rounds at ε = 8', () => {
    const settings = dpDemoPlan(flags).settings;
    const definition = taskDefinitionSchema.parse(dpDemoTaskDefinition(settings));
    const dp = definition.privacy.differentialPrivacy;
    expect(dp).toMatchObject({ unit: 'patient', trainableLayers: 'head', samplingRate: 0.2, l2NormClip: 1 });
    expect(definition.privacy.secureAggregation.enabled).toBe(true);
    expect(definition.model.name).toBe('resnet-small-gn');
    expect(dp?.noiseMultiplier).toBe(
      calibrateNoiseMultiplier({ samplingRate: 0.2, steps: 20 * 5, budget: { epsilon: 8, delta: 1e-5 } }),
    );
    // The task's rounds spend the budget, and not much less (σ is the least that fits).
    const spent = privacySpentAfter(definition, settings.rounds).epsilon;
    expect(spent).toBeLessThanOrEqual(8);
    expect(spent).toBeGreaterThan(7.9);
    // Fewer rounds at the same ε: less noise.
    const short = taskDefinitionSchema.parse(dpDemoTaskDefinition({ ...settings, rounds: 5 }));
    expect(short.privacy.differentialPrivacy?.noiseMultiplier).toBeLessThan(dp!.noiseMultiplier);
  });

  it('with too few patients for the head, says each hospital would refuse the task and stops before synthesising', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'radfed-demo-dp-'));
    try {
      // The head (514 values) at ε = 8 over one round (σ = 0.7344, q = 0.2, T = 5): ρ ≤ 1 needs 38
      // training patients per site (shared/privacy/noise-to-signal.ts); 20 patients in all is too few.
      const message =
        /^The hospitals would refuse this task at approval: .*unless each hospital has at least 38 training patients; each has 20 patients in all.*--patients 74.*Nothing was synthesised or trained\.$/;
      // The command's plan refuses it before even the time estimate...
      expect(() => dpDemoPlan({ ...flags, patients: 20, rounds: 1, dir })).toThrow(message);
      // ...and the run itself, for a caller that builds its own settings.
      const plan = dpDemoPlan({ ...flags, dir });
      const run = runDpDemo({
        ...plan,
        settings: { ...plan.settings, patientsPerSite: 20, rounds: 1 },
        say: () => {},
      });
      await expect(run).rejects.toThrow(DemoRefusedError);
      await expect(run).rejects.toThrow(message);
      expect(readdirSync(dir)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('radfed demo --dp: a tiny real run', () => {
  it('fine-tunes only the head under DP through a hub and site processes, beside the same run without DP', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'radfed-demo-dp-run-'));
    const cache = mkdtempSync(join(tmpdir(), 'radfed-demo-dp-cache-'));
    try {
      const lines: string[] = [];
      const plan = dpDemoPlan({ ...flags, sites: 2, patients: 40, rounds: 2, size: 32, dir });
      const result = await runDpDemo({
        ...plan,
        // A larger ε keeps the tiny run above the sites' refusal line (ρ ≤ 1) with 20 training patients.
        epsilon: 30,
        publicPatients: 16,
        pretrainEpochs: 1,
        publicModelDir: cache,
        threads: 1,
        launcher: { command: process.execPath, args: ['--import', 'tsx', entry] },
        say: (line) => lines.push(line),
      });
      expect(result.dp.federation).toMatchObject({ secureAggregation: true, siteRounds: 4, siteRoundsIn: 4 });
      expect(result.dp.version).toBe(2);
      expect(result.dp.epsilon).toBeLessThanOrEqual(30);
      expect(result.dp.trainableLayers).toBe('head');
      for (const model of [result.dp, result.sameRunWithoutDp, result.fullFineTuning, result.publicModel])
        expect(model.accuracy).toBeGreaterThanOrEqual(0);
      // The public model was pre-trained once and cached where the plan says.
      expect(result.publicModel.cached).toBe(false);
      expect(existsSync(result.publicModel.file)).toBe(true);
      expect(result.publicModel.file.startsWith(cache)).toBe(true);
      // The trainable selection reached the sites: outside the head the published model is the public
      // model but for secure aggregation's rounding (the value 0 is not on its grid of 2^20 levels over
      // ±4, so a frozen value moves by about a step, 7.6e-6, a round); the head moved by far more.
      const publicModel = decodeWeights(readFileSync(result.publicModel.file));
      const [published] = await loadLastGlobalModels(join(dir, 'hub'), result.dp.taskId, 1);
      const largestMove = (name: string) => {
        const index = publicModel.findIndex((t) => t.name === name);
        const moved = published!.weights[index]!.data;
        return publicModel[index]!.data.reduce((most, v, j) => Math.max(most, Math.abs(moved[j]! - v)), 0);
      };
      const names = publicModel.map((t) => t.name);
      expect(names.filter((name) => isDpTrainable(name, 'head'))).toEqual(['head/kernel', 'head/bias']);
      for (const name of names)
        if (isDpTrainable(name, 'head')) expect(largestMove(name)).toBeGreaterThan(1e-3);
        else expect(largestMove(name)).toBeLessThan(1e-4);
      const table = formatDpDemoTable(result);
      expect(table).toMatch(/Federated, DP fine-tuning of the head \(ε = \d+\.\d\d\)\s+\d\.\d{3}/);
      expect(table).toMatch(/Same run without DP \(head, no noise or clipping\)\s+\d\.\d{3}/);
      expect(table).toMatch(/Cost of privacy \(against the same run without DP\): AUC -?\d\.\d{3}/);
      expect(table).toMatch(/Secure aggregation and differential privacy: every site in every round/);
      expect(
        lines.some((line) => /Pre-training resnet-small-gn on 16 public synthetic patients/.test(line)),
      ).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      rmSync(cache, { recursive: true, force: true });
    }
  }, 300_000);
});
