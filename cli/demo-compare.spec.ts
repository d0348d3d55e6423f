// `radfed demo --compare` through the real command at a tiny size: three hospitals of 20 patients,
// 2 rounds at 32 px, every method one after another (a real hub process, real site processes, a swarm
// on loopback with no hub). Checked: the table has every method's row, with sane figures (AUC and
// accuracy within [0, 1], bytes sent by every federated method and by no yardstick, a wall time) and
// the right answer to what the coordinator sees; the relations between the methods' bytes that follow
// from how each sends (masked 32-bit integers against float16, one site a round for cyclic, ciphertexts).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { CompareResult } from '../main/demo/index.ts';
import { runRadfed } from './test-cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'radfed-compare-spec-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('radfed demo --compare', () => {
  it('sets every method side by side on the same hospitals and test set, with what the coordinator sees', async () => {
    const json = join(dir, 'compare.json');
    const run = await runRadfed(
      'demo',
      '--compare',
      '--patients',
      // The split task's approval runs the leakage meter, which needs 8 training images per site.
      '20',
      '--rounds',
      '2',
      '--size',
      '32',
      '--json',
      json,
    );
    expect(run.status, `${run.err}\n${run.out.slice(-4000)}`).toBe(0);
    const result = JSON.parse(readFileSync(json, 'utf8')) as CompareResult;
    const byKey = new Map(result.rows.map((r) => [r.key, r]));
    expect(result.rows.map((r) => r.key)).toEqual([
      'local-a',
      'local-b',
      'local-c',
      'cyclic',
      'fedavg',
      'split',
      'swarm',
      'secagg',
      'homomorphic',
      'dp',
      'pooled',
    ]);
    for (const row of result.rows) {
      expect(row.auc, row.key).not.toBeNull();
      expect(row.auc!, row.key).toBeGreaterThanOrEqual(0);
      expect(row.auc!, row.key).toBeLessThanOrEqual(1);
      expect(row.accuracy, row.key).toBeGreaterThanOrEqual(0);
      expect(row.accuracy, row.key).toBeLessThanOrEqual(1);
      expect(row.seconds, row.key).toBeGreaterThan(0);
      if (row.kind === 'federated') {
        expect(row.bytesPerSite, row.key).toBeGreaterThan(0);
        expect(row.siteRounds, row.key).not.toBeNull();
        expect(row.siteRounds!.in, row.key).toBe(row.siteRounds!.of);
      } else {
        expect(row.bytesPerSite, row.key).toBe(0);
      }
    }
    expect(Object.fromEntries(result.rows.map((r) => [r.key, r.sees]))).toEqual({
      'local-a': 'nothing-leaves',
      'local-b': 'nothing-leaves',
      'local-c': 'nothing-leaves',
      cyclic: 'each-update',
      fedavg: 'each-update',
      split: 'activations',
      swarm: 'peer-sum',
      secagg: 'sum',
      homomorphic: 'nothing',
      dp: 'noised-sum',
      pooled: 'every-image',
    });
    // Cyclic: one hospital a round, 2 rounds of 3 sites; the others' every site every round.
    expect(byKey.get('cyclic')!.siteRounds).toEqual({ in: 2, of: 2 });
    expect(byKey.get('fedavg')!.siteRounds).toEqual({ in: 6, of: 6 });
    const bytes = (key: string) => byKey.get(key)!.bytesPerSite;
    expect(bytes('cyclic')).toBeLessThan(bytes('fedavg')); // a third of the turns
    expect(bytes('secagg')).toBeGreaterThan(1.8 * bytes('fedavg')); // 32-bit masked against float16
    expect(bytes('homomorphic')).toBeGreaterThan(bytes('secagg')); // CKKS ciphertexts
    // Split learning's steps, from the sites' events: bytes both ways, a latency for every step.
    expect(result.split!.steps).toBeGreaterThan(0);
    expect(result.split!.bytesUpPerImage).toBeGreaterThan(0);
    expect(result.split!.stepP95Ms).toBeGreaterThanOrEqual(result.split!.stepP50Ms);
    expect(run.out).toMatch(/Split learning: \d+ steps over the sites' sessions/);
    // Each site measured the cut's leakage when it approved the split task; the table quotes it.
    expect(result.leakage.map((l) => l.site)).toEqual(['Hospital A', 'Hospital B', 'Hospital C']);
    for (const l of result.leakage) expect(l.ssim).toBeLessThanOrEqual(1);
    expect(run.out).toMatch(
      /Leakage meter at cut \w+, no defences .*Hospital A SSIM -?\d\.\d{2}, PSNR [\d.]+ dB/,
    );
    expect(run.out).toMatch(
      /Method\s+AUC\s+Accuracy\s+Sent per site\s+Wall time\s+What the coordinator sees/,
    );
    expect(run.out).toMatch(
      /FedAvg \+ homomorphic encryption\s+\d\.\d{3}\s+\d\.\d{3}\s+[\d.]+ [kM]B\s+\d+ s\s+nothing \(ciphertexts only\)/,
    );
    expect(run.out).toMatch(/Local only: Hospital A\s+\d\.\d{3}\s+\d\.\d{3}\s+nothing\s/);
  }, 1_800_000);

  it('refuses a method or protection flag beside --compare, which sets them all itself, before anything runs', async () => {
    for (const flag of [['--dp'], ['--homomorphic'], ['--no-secagg'], ['--method', 'split']]) {
      const run = await runRadfed('demo', '--compare', ...flag);
      expect(run.status, flag.join(' ')).not.toBe(0);
      expect(run.err, flag.join(' ')).toMatch(
        /--compare runs every method and every protection itself, at the default scale: leave out --method, --dp, --homomorphic, --no-secagg and --scale\./,
      );
    }
  });
});
