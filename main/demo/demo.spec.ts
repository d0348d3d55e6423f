// A smoke run of the demo with a tiny configuration: real synthesis, real sites, a hub and two site
// agents as separate processes on loopback HTTPS, one round, the baselines and the table.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { formatDemoTable, runDemo } from './index.ts';

const entry = fileURLToPath(new URL('./testing/radfed-entry.ts', import.meta.url));

describe('radfed demo', () => {
  it('runs a tiny federation end to end and reports every model on the pooled test set', async () => {
    const lines: string[] = [];
    const result = await runDemo({
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
    expect(existsSync(result.directory)).toBe(false); // a temporary folder is removed afterwards
  }, 180_000);

  it('runs the same task with secure aggregation and differential privacy beside it (--secagg --dp)', async () => {
    const lines: string[] = [];
    const result = await runDemo({
      sites: 3,
      patientsPerSite: 9,
      rounds: 1,
      localEpochs: 1,
      imageSize: 32,
      threads: 1,
      launcher: { command: process.execPath, args: ['--import', 'tsx', entry] },
      say: (line) => lines.push(line),
      privacy: { secureAggregation: true, differentialPrivacy: true },
    });
    const names = result.models.map((m) => m.name);
    expect(names).toContain('Federated with secure aggregation and differential privacy');
    const run = result.privateRun!;
    expect(run.protection).toBe('secure aggregation and differential privacy');
    expect(run.epsilon).toMatch(/^ε = [\d.]+ at δ = 0\.00001 after 1 rounds$/);
    expect(run.rounds).toHaveLength(1);
    // Masked values travel as 32-bit integers: each site sends about the raw float32 model size.
    for (const bytes of Object.values(run.rounds[0]!.bytesSent)) {
      expect(bytes).toBeGreaterThan(result.modelBytes * 0.95);
      expect(bytes).toBeLessThan(result.modelBytes * 1.1);
    }
    expect(lines.some((line) => line.startsWith('[') && line.includes('[with secure aggregation'))).toBe(
      true,
    );
    expect(formatDemoTable(result)).toMatch(/With secure aggregation and differential privacy: AUC/);
  }, 240_000);
});
