// A site approving a task with patient-level differential privacy: it reads the task in plain words
// (the unit is the patient, what ε means for one, σ, the expected batch, the expected accuracy cost),
// counts its own training patients, and refuses a task whose noise would leave nothing of the signal.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listApprovals } from './approvals.ts';
import { approveTask, enrollSiteWithHub, reviewTask } from './index.ts';
import { makeFederationFixture, type FederationFixture } from './testing/federation-fixture.ts';
import { openSite } from '../store/index.ts';

let fixture: FederationFixture;

beforeAll(async () => {
  fixture = await makeFederationFixture({ sites: 1, patients: 60 });
  await enrollSiteWithHub({
    siteDir: fixture.sites[0]!.dir,
    token: (await fixture.testHub.hub.createToken()).token,
  });
}, 60_000);
afterAll(async () => {
  await fixture?.cleanup();
});

const patientDp = (noiseMultiplier: number, samplingRate: number, epsilon: number) => ({
  secureAggregation: false,
  differentialPrivacy: {
    unit: 'patient' as const,
    l2NormClip: 1,
    noiseMultiplier,
    samplingRate,
    budget: { epsilon, delta: 1e-5 },
  },
});

function approvedTaskIds(dir: string): string[] {
  const site = openSite(dir);
  try {
    return listApprovals(site.database).map((a) => a.taskId);
  } finally {
    site.database.close();
  }
}

describe('approving a task with patient-level differential privacy', () => {
  it('refuses a task whose noise leaves nothing of the signal with this site’s patients, saying what to change', async () => {
    const site = fixture.sites[0]!;
    // resnet-small (d = 304 466), σ = 1, q = 0.1, 1 round of 10 steps: ρ = σ√d/(q·N·√T) ≈ 1745/N, far above 1.
    const taskId = await fixture.createTask({
      name: 'hopeless dp',
      quorum: 1,
      privacy: patientDp(1, 0.1, 8),
    });
    const review = await reviewTask(site.dir, taskId);
    expect(review.privacyProblem).toMatch(
      /patient-level differential privacy would leave nothing of the signal here\. With (\d+) training patients here, a sampling rate q = 0\.1 puts about \d+\.\d patients in each step, and over the 10 steps of training.*ρ = σ√d\/\(q·N·√T\) = \d+ times the signal, above the limit of 1.*It needs at least 1745 training patients at this site, a larger ε budget, or a smaller model/,
    );
    expect(review.summary.join('\n')).toMatch(
      /no useful model: the noise outweighs the signal over the whole training/,
    );
    // The same refusal for the Training page: the site's number and what it needs, no σ, q or formula.
    expect(review.privacyProblemInWords).toMatch(
      /^with this site’s \d+ training patients for it, the noise that protects each patient would drown what the model learns\. It needs at least 1745 training patients here/,
    );
    expect(review.privacyProblemInWords).not.toMatch(/σ|ρ|q =|\(q·N/);
    await expect(approveTask(site.dir, taskId)).rejects.toThrow(
      new RegExp(
        `Task ${taskId} was not approved: the task's patient-level differential privacy would leave nothing`,
      ),
    );
    expect(approvedTaskIds(site.dir)).not.toContain(taskId);
  });

  it('approves one whose noise the cohort carries, after saying in plain words what it protects and costs', async () => {
    const site = fixture.sites[0]!;
    // A viable task for a tiny cohort needs a generous budget and a small model: reference-cnn (d = 97 410),
    // σ = 0.11, q = 1, one round of one step (ε = 100 funds it): ρ = 0.11·√97410/N ≤ 1 from 35 training patients on.
    const taskId = await fixture.createTask({
      name: 'dp per patient',
      quorum: 1,
      model: { name: 'reference-cnn' },
      privacy: patientDp(0.11, 1, 100),
    });
    const approved = await approveTask(site.dir, taskId);
    expect(approved.privacyProblem).toBeNull();
    const text = approved.summary.join('\n');
    expect(text).toMatch(/Each patient is protected, all of that patient’s images together/);
    expect(text).toMatch(
      /At each of 1 training step per round every patient is picked at random with a chance of 1 \(about \d+ of this site’s \d+ training patients per step\)/,
    );
    expect(text).toMatch(/noise multiplier σ = 0\.11/);
    // The numbers behind the words, on a line of their own that the screen folds away.
    expect(text).toMatch(
      /Technical detail: .*ρ = σ√d\/\(q·N·√T\) = 0\.\d+ with N = \d+, d = 97410 model values, T = 1 step in all; a site refuses the task above 1 /,
    );
    expect(text).toMatch(
      /Privacy budget: ε = 100, δ = 0\.00001, for each patient\..*whether any one patient of this site took part/,
    );
    expect(text).toMatch(
      /Expected accuracy cost: with \d+ training patients here, expect a large accuracy cost/,
    );
    expect(approvedTaskIds(site.dir)).toContain(taskId);
  });
});
