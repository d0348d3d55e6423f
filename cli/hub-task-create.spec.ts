// `radfed hub task create` through the real entry: the update bound from the task file's default, or
// from --max-update-norm and --refuse-large-updates, stored in the task and said in one line.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initHub, openHubContext } from '../hub/index.ts';
import { definitionOf } from '../hub/index.ts';
import { testTask } from '../hub/testing/test-hub.ts';
import { calibrateNoiseMultiplier } from '../shared/privacy/index.ts';
import { runRadfed } from './test-cli.ts';

let root: string;
let dir: string;
let file: string;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'radfed-task-create-'));
  dir = join(root, 'hub');
  await initHub({ dir, name: 'cli hub' });
  file = join(root, 'task.json');
  writeFileSync(file, JSON.stringify(testTask()));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function storedDefinition(taskId: string) {
  const ctx = openHubContext(dir);
  try {
    return definitionOf((await ctx.store.tasks.task(taskId))!);
  } finally {
    await ctx.store.close();
  }
}

describe('radfed hub task create', () => {
  it('clips updates above the default bound unless told otherwise', async () => {
    const run = await runRadfed('hub', 'task', 'create', '--dir', dir, '--file', file);
    expect(run.status).toBe(0);
    expect(run.out).toMatch(
      /^Created task (\S+) \("pneumonia"\); updates whose trained values have an L2 norm above 1000 are clipped\n$/,
    );
    const id = /Created task (\S+)/.exec(run.out)![1]!;
    expect(await storedDefinition(id)).toMatchObject({ maxUpdateNorm: 1000, updateNormPolicy: 'clip' });
  });

  it('takes the bound and the refusal from the command line', async () => {
    const run = await runRadfed(
      'hub',
      'task',
      'create',
      '--dir',
      dir,
      '--file',
      file,
      '--max-update-norm',
      '25',
      '--refuse-large-updates',
    );
    expect(run.status).toBe(0);
    expect(run.out).toContain('updates whose trained values have an L2 norm above 25 are refused');
    const id = /Created task (\S+)/.exec(run.out)![1]!;
    expect(await storedDefinition(id)).toMatchObject({ maxUpdateNorm: 25, updateNormPolicy: 'refuse' });
  });

  it('refuses a bound that is not a positive number, saying what it takes', async () => {
    const run = await runRadfed(
      'hub',
      'task',
      'create',
      '--dir',
      dir,
      '--file',
      file,
      '--max-update-norm',
      'huge',
    );
    expect(run.status).not.toBe(0);
    expect(run.err).toContain('--max-update-norm takes a positive number (an L2 norm), not "huge"');
  });

  it('refuses a task whose privacy budget funds only 2 of 20 rounds, saying what to change', async () => {
    const dpFile = join(root, 'dp-task.json');
    writeFileSync(
      dpFile,
      JSON.stringify(
        testTask({
          name: 'short budget',
          rounds: 20,
          privacy: {
            secureAggregation: false,
            differentialPrivacy: { clipNorm: 1, noiseMultiplier: 1, budget: { epsilon: 8, delta: 1e-5 } },
          },
        }),
      ),
    );
    const run = await runRadfed('hub', 'task', 'create', '--dir', dir, '--file', dpFile);
    expect(run.status).not.toBe(0);
    expect(run.err).toContain(
      "- privacy.differentialPrivacy.budget.epsilon: The privacy budget ε = 8.00 (δ = 0.00001) funds only 2 of the task's 20 rounds " +
        'with noise multiplier 1: raise the noise multiplier to 2.854 (that funds every round), raise ε, or plan 2 rounds.',
    );
    expect(run.out).not.toContain('Created task');
  });

  it('lays patient-level DP over the file with --patient-dp, stores the σ the hub calibrated, and says it', async () => {
    const run = await runRadfed(
      'hub',
      'task',
      'create',
      '--dir',
      dir,
      '--file',
      file,
      '--patient-dp',
      '--epsilon',
      '8',
      '--sampling-rate',
      '0.05',
    );
    expect(run.status).toBe(0);
    const id = /^Created task (\S+)/.exec(run.out)?.[1] as string;
    const dp = (await storedDefinition(id)).privacy.differentialPrivacy;
    expect(dp).toMatchObject({
      unit: 'patient',
      l2NormClip: 1,
      samplingRate: 0.05,
      budget: { epsilon: 8, delta: 1e-5 },
    });
    // testTask: 3 rounds of 1 local epoch, so 20 steps a round at q = 0.05.
    const sigma = calibrateNoiseMultiplier({
      samplingRate: 0.05,
      steps: 60,
      budget: { epsilon: 8, delta: 1e-5 },
    });
    expect(dp?.noiseMultiplier).toBe(sigma);
    expect(run.out).toContain(
      `Patient-level differential privacy: σ = ${sigma} (calibrated from the budget), sampling rate 0.05, 20 steps per round, ` +
        'ε = 8 at δ = 0.00001 per patient over 3 rounds.',
    );
    expect(run.err).toMatch(
      /Warning: The hub cannot check yet whether the noise leaves a useful model.*a site needs at least \d+ training patients/,
    );
    // `task show` says whom ε is for: each patient, at most what one in every published round spent.
    const shown = await runRadfed('hub', 'task', 'show', '--dir', dir, id);
    expect(shown.out).toContain(
      'privacy: each patient has spent at most ε = 0.00 of ε = 8 per patient at δ = 0.00001 over 0 rounds (the budget allows 3); ' +
        `patient-level DP-SGD with each patient\u2019s gradient clipped to 1, noise multiplier ${sigma}, sampling rate 0.05 (20 steps per round)`,
    );
  });

  it('asks for the budget and the sampling rate with --patient-dp, and for --patient-dp with them', async () => {
    const bare = await runRadfed('hub', 'task', 'create', '--dir', dir, '--file', file, '--patient-dp');
    expect(bare.status).not.toBe(0);
    expect(bare.err).toContain(
      '--patient-dp needs --epsilon (the budget per patient, e.g. 8) and --sampling-rate',
    );
    const stray = await runRadfed('hub', 'task', 'create', '--dir', dir, '--file', file, '--epsilon', '8');
    expect(stray.status).not.toBe(0);
    expect(stray.err).toContain('go with --patient-dp');
  });

  it('lists every problem of a task file by its field, in the words the dashboard shows beside them', async () => {
    const badFile = join(root, 'bad-task.json');
    writeFileSync(badFile, JSON.stringify({ ...testTask(), rounds: 0, labels: ['only'] }));
    const run = await runRadfed('hub', 'task', 'create', '--dir', dir, '--file', badFile);
    expect(run.status).not.toBe(0);
    expect(run.err).toContain('- labels: Give at least 2.');
    expect(run.err).toContain('- rounds: Must be at least 1.');
  });
});
