// `radfed site status` shows each approved task's privacy budget as this site counts it: from the
// updates it recorded as sent (state.json), in plain words, and in the JSON.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, expect, it, vi } from 'vitest';
import { testTaskView } from '../hub/testing/test-hub.ts';
import { federationPaths, recordApproval, taskFolder } from '../main/site/federation/index.ts';
import { initSite, openSite } from '../main/site/index.ts';
import type { TaskDefinitionInput } from '../shared/federation/index.ts';
import { registerSiteCommands } from './site-commands.ts';

const root = mkdtempSync(join(tmpdir(), 'radfed-status-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function status(...args: string[]): Promise<string> {
  const program = new Command('radfed').exitOverride().configureOutput({ writeErr: () => undefined });
  registerSiteCommands(program);
  let out = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  try {
    await program.parseAsync(['site', 'status', ...args], { from: 'user' });
  } finally {
    spy.mockRestore();
  }
  return out;
}

function approve(dir: string, id: string, name: string, privacy: object, submitted: number) {
  const view = testTaskView({ name, privacy: privacy as TaskDefinitionInput['privacy'] }, { id });
  const site = openSite(dir);
  recordApproval(site.database, {
    view,
    cohortTaskId: 'cohort',
    actor: 'test',
  });
  site.database.close();
  const taskDir = taskFolder(federationPaths(dir).tasks, id);
  mkdirSync(taskDir, { recursive: true });
  const record = (round: number, outcome: string) => ({
    round,
    outcome,
    reason: outcome === 'submitted' ? null : 'late',
    trainSeconds: 1,
    uploadSeconds: 1,
    sentBytes: 1,
    examples: 1,
  });
  const history = [
    record(1, 'missed'),
    ...Array.from({ length: submitted }, (_, i) => record(i + 2, 'submitted')),
  ];
  writeFileSync(
    join(taskDir, 'state.json'),
    JSON.stringify({
      format: 1,
      taskId: id,
      current: null,
      pending: [],
      lastEvaluatedVersion: null,
      history,
    }),
  );
}

it('shows ε spent and the budget per approved task with differential privacy', async () => {
  const dir = join(root, 'site');
  initSite(dir, {
    name: 'Oak Radiology',
    deidOptions: [],
    consentPolicy: 'opt-out',
    consentScope: 'research',
  });
  const dp = (epsilon: number) => ({ clipNorm: 1, noiseMultiplier: 4, budget: { epsilon, delta: 1e-5 } });
  // σ = 4, δ = 1e-5: two updates spend ε ≈ 1.48; ε = 3 allows 7 rounds, ε = 1.6 allows 2.
  approve(dir, 'task-dp', 'chest dp', { secureAggregation: false, differentialPrivacy: dp(3) }, 2);
  approve(dir, 'task-full', 'chest full', { secureAggregation: false, differentialPrivacy: dp(1.6) }, 2);
  approve(dir, 'task-plain', 'chest plain', { secureAggregation: false }, 3);
  const text = await status('--dir', dir);
  expect(text).toContain('Site "Oak Radiology"');
  expect(text).toMatch(
    /Privacy budget of task "chest dp" \(task-dp\): this site has spent ε = 1\.48 of its privacy budget ε = 3 \(δ = 0\.00001\) with 2 updates sent; 5 more rounds fit the budget\./,
  );
  expect(text).toMatch(
    /"chest full" \(task-full\): .*ε = 1\.48 .*the budget is used up: this site trains no more rounds/,
  );
  expect(text).not.toContain('chest plain');
  const json = JSON.parse(await status('--dir', dir, '--json')) as {
    privacyBudgets: {
      taskId: string;
      budget: { epsilonSpent: number; rounds: number; roundsAllowed: number };
    }[];
  };
  expect(json.privacyBudgets.map((b) => [b.taskId, b.budget.rounds, b.budget.roundsAllowed])).toEqual([
    ['task-dp', 2, 7],
    ['task-full', 2, 2],
  ]);
});

it('says ε per patient for a task with patient-level differential privacy', async () => {
  const dir = join(root, 'patient-site');
  initSite(dir, {
    name: 'Elm Radiology',
    deidOptions: [],
    consentPolicy: 'opt-out',
    consentScope: 'research',
  });
  const patientDp = {
    unit: 'patient',
    l2NormClip: 1,
    noiseMultiplier: 1.557,
    samplingRate: 0.2,
    budget: { epsilon: 8, delta: 1e-5 },
  };
  approve(
    dir,
    'task-patient',
    'chest per patient',
    { secureAggregation: false, differentialPrivacy: patientDp },
    2,
  );
  const text = await status('--dir', dir);
  expect(text).toMatch(
    /Privacy budget of task "chest per patient" \(task-patient\): each patient of this site has spent at most ε = \d\.\d\d of the privacy budget ε = 8 per patient \(δ = 0\.00001\) with 2 updates sent; \d+ more rounds fit the budget\./,
  );
  expect(text).not.toMatch(/: this site has spent/);
});
