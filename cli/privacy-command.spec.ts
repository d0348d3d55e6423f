// `radfed privacy …` through the real command line entry (main), reading what it prints and its exit status.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { initHub } from '../hub/setup/index.ts';
import { testTask } from '../hub/testing/test-hub.ts';
import { calibrateNoiseMultiplier } from '../shared/privacy/index.ts';
import { runRadfed } from './test-cli.ts';

const radfed = runRadfed;

describe('radfed privacy', () => {
  it('prints ε and the best order for the published DP-SGD setting', async () => {
    const r = await radfed(
      'privacy',
      'epsilon',
      '--q',
      '0.0025',
      '--sigma',
      '1.3',
      '--steps',
      '6000',
      '--delta',
      '1e-5',
    );
    expect(r.status).toBe(0);
    expect(r.out).toMatch(/^ε = 0\.724\d at δ = 0\.00001 \(best RDP order 19\) after 6000 steps/);
  });

  it('calibrates σ for a patient-level task, and says whether a site of N patients would refuse it', async () => {
    const args = [
      'privacy',
      'calibrate',
      '--q',
      '0.05',
      '--rounds',
      '20',
      '--local-epochs',
      '2',
      '--epsilon',
      '8',
    ];
    const useful = await radfed(...args, '--patients', '500');
    expect(useful.status).toBe(0);
    const sigma = calibrateNoiseMultiplier({
      samplingRate: 0.05,
      steps: 800,
      budget: { epsilon: 8, delta: 1e-5 },
    });
    expect(useful.out).toContain(
      `σ = ${sigma}: 20 rounds of 40 steps at q = 0.05 spend at most ε = 8 at δ = 0.00001 per patient.`,
    );
    expect(useful.out).toMatch(
      // resnet-small-gn (d = 304 466), T = 800 steps: ρ = σ√d/(q·N·√T) ≈ 0.92, inside the line of 1.
      /At a site of 500 training patients the noise over the signal of the whole training is ρ = σ√d\/\(q·N·√T\) = 0\.92, so a large accuracy cost/,
    );
    const small = await radfed(...args, '--patients', '100');
    expect(small.out).toMatch(
      /A site would refuse it: With 100 training patients here.*ρ = σ√d\/\(q·N·√T\) = 4\.6 times the signal.*It needs at least 459 training patients/,
    );
  });

  it('counts only the trained layers in d under DP fine-tuning (--trainable), and names the choices for another', async () => {
    const args = [
      'privacy',
      'calibrate',
      '--q',
      '0.2',
      '--rounds',
      '20',
      '--epsilon',
      '8',
      '--patients',
      '100',
    ];
    // The whole model: refused at 100 patients. Its head alone (d = 514, √d 24 times smaller): accepted.
    expect((await radfed(...args)).out).toMatch(/A site would refuse it/);
    const head = await radfed(...args, '--trainable', 'head');
    expect(head.status).toBe(0);
    expect(head.out).toMatch(/ρ = σ√d\/\(q·N·√T\) = 0\.18, so a moderate accuracy cost/);
    const unknown = await radfed(...args, '--trainable', 'neck');
    expect(unknown.status).not.toBe(0);
    expect(unknown.err).toContain('Unknown --trainable neck: use all, norm-and-head, head.');
  });

  it('prints JSON with --json', async () => {
    const r = await radfed(
      'privacy',
      'epsilon',
      '--q',
      '1',
      '--sigma',
      '4',
      '--steps',
      '3',
      '--delta',
      '1e-6',
      '--json',
    );
    expect(r.status).toBe(0);
    const json = JSON.parse(r.out) as { epsilon: number; order: number; steps: number };
    expect(json.steps).toBe(3);
    expect(json.epsilon).toBeGreaterThan(0);
    expect(Number.isInteger(json.order)).toBe(true);
  });

  it('says how many rounds fit a budget', async () => {
    const r = await radfed(
      'privacy',
      'rounds',
      '--sigma',
      '4',
      '--epsilon',
      '3',
      '--delta',
      '1e-5',
      '--json',
    );
    expect(r.status).toBe(0);
    const json = JSON.parse(r.out) as { rounds: number; epsilonSpent: number };
    expect(json.rounds).toBeGreaterThan(0);
    expect(json.epsilonSpent).toBeLessThanOrEqual(3);
    const none = await radfed('privacy', 'rounds', '--sigma', '0.1', '--epsilon', '0.5', '--delta', '1e-5');
    expect(none.out).toMatch(/Not one round fits/);
  });

  it('refuses bad flags with a sentence and exit status 2', async () => {
    const cases: [string[], RegExp][] = [
      [['--q', '1.5', '--sigma', '1', '--steps', '1', '--delta', '1e-5'], /--q takes the sampling rate/],
      [
        ['--q', '0.1', '--sigma', '0', '--steps', '1', '--delta', '1e-5'],
        /--sigma takes the noise multiplier/,
      ],
      [['--q', '0.1', '--sigma', '1', '--steps', '2.5', '--delta', '1e-5'], /--steps takes a whole number/],
      [['--q', '0.1', '--sigma', '1', '--steps', '1', '--delta', '1'], /--delta takes a probability/],
      [['--q', '0.1', '--sigma', '1', '--delta', '1e-5'], /required option '--steps/],
    ];
    for (const [flags, message] of cases) {
      const r = await radfed('privacy', 'epsilon', ...flags);
      expect(r.status).toBe(2);
      expect(r.err).toMatch(message);
      expect(r.out).toBe('');
    }
  });

  it('radfed hub task show states the budget of a task with differential privacy', async () => {
    const root = mkdtempSync(join(tmpdir(), 'radfed-privacy-cli-'));
    try {
      const dir = join(root, 'hub');
      await initHub({ dir, name: 'cli hub' });
      const file = join(root, 'task.json');
      const dp = { clipNorm: 1, noiseMultiplier: 4, budget: { epsilon: 1.6, delta: 1e-5 } };
      writeFileSync(
        file,
        JSON.stringify(testTask({ name: 'dp-task', rounds: 2, privacy: { differentialPrivacy: dp } })),
      );
      expect((await radfed('hub', 'task', 'create', '--dir', dir, '--file', file)).status).toBe(0);
      const shown = await radfed('hub', 'task', 'show', '--dir', dir, 'dp-task');
      expect(shown.status).toBe(0);
      expect(shown.out).toMatch(
        /privacy: ε = 0\.00 spent of ε = 1\.6 at δ = 0\.00001 over 0 rounds \(the budget allows 2\); DP-FedAvg with clipping norm 1, noise multiplier 4/,
      );
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
