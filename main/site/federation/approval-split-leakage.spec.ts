// The leakage meter in a split-learning task's approval: a real site (real ingest and cohort) reviews a
// splitfed task from a real hub; the review runs the meter on the site's own images and the approval
// text carries its figures (SSIM, PSNR, the label AUC); a site whose limit (site.json's
// splitLeakageLimits) is below the figure refuses the cut in words and records no approval; a site
// that set no limit is shown the figures and refuses nothing. The figures are kept, so a second review
// reads them instead of measuring again.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openSite, writeSiteConfig } from '../store/index.ts';
import { selectBackend } from '../train/index.ts';
import { approveTask, enrollSiteWithHub, listApprovals, reviewTask } from './index.ts';
import { makeFederationFixture, type FederationFixture } from './testing/federation-fixture.ts';

let fixture: FederationFixture;
let taskId: string;

beforeAll(async () => {
  await selectBackend({ choice: 'wasm' });
  fixture = await makeFederationFixture({ sites: 1, patients: 48 });
  const site = fixture.sites[0]!;
  await enrollSiteWithHub({ siteDir: site.dir, token: (await fixture.testHub.hub.createToken()).token });
  taskId = await fixture.createTask({
    name: 'split approval',
    model: { name: 'resnet-small-gn' },
    strategy: { name: 'splitfed', frameDtype: 'float16', labelSharing: false },
    quorum: 1,
    privacy: { secureAggregation: false },
  });
}, 120_000);

afterAll(async () => {
  await fixture?.cleanup();
});

function setLimits(siteDir: string, limits: { maxImageSsim: number; maxLabelAuc: number } | undefined) {
  const site = openSite(siteDir);
  try {
    const { splitLeakageLimits: _, ...rest } = site.config;
    writeSiteConfig(site.paths.config, limits ? { ...rest, splitLeakageLimits: limits } : rest);
  } finally {
    site.database.close();
  }
}

it('shows the meter\u2019s figures for the task\u2019s cut in the approval text, and keeps them', async () => {
  const { dir } = fixture.sites[0]!;
  const review = await reviewTask(dir, taskId, { backend: 'wasm' });
  const text = review.summary.join('\n');
  expect(text).toMatch(
    /\nWhat a hub could recover at this cut \(leakage meter, run on \d+ of this site’s own images; nothing left the site\):\n {2}What the hub could rebuild/,
  );
  expect(text).toMatch(
    /a decoder brought \d+ held-back images back from the activations after block1 with a structural similarity of \d\.\d\d .* and a signal-to-noise ratio of \d+\.\d dB\. This site has set no limit/,
  );
  expect(text).toMatch(/What the hub could read of the labels: .* an AUC of \d\.\d\d/);
  expect(existsSync(join(dir, 'federation', 'leakage', `${taskId}.json`))).toBe(true);
  const again = await reviewTask(dir, taskId, { backend: 'wasm' });
  expect(again.summary).toEqual(review.summary);
  // The demo's simulated hospitals may skip the meter.
  const skipped = await reviewTask(dir, taskId, { leakageMeter: false });
  expect(skipped.summary.join('\n')).not.toMatch(/What a hub could recover/);
}, 300_000);

it('refuses a cut above the site\u2019s limit, in words, and records no approval', async () => {
  const { dir } = fixture.sites[0]!;
  setLimits(dir, { maxImageSsim: 0.5, maxLabelAuc: 0.75 });
  try {
    const review = await reviewTask(dir, taskId, { backend: 'wasm' });
    expect(review.privacyProblem).toMatch(
      /^This site does not approve this cut: a decoder brought this site’s held-back images back from the activations after block1 with a structural similarity of \d\.\d\d, above this site’s limit of 0\.50(; and the lengths of the gradients it returns read its labels with an AUC of \d\.\d\d, above its limit of 0\.75)?\. Ask the coordinator for a deeper cut or for a defence/,
    );
    expect(review.privacyProblemInWords).toBe(review.privacyProblem);
    await expect(approveTask(dir, taskId)).rejects.toThrow(
      /was not approved: This site does not approve this cut/,
    );
    const site = openSite(dir);
    try {
      expect(listApprovals(site.database).filter((a) => a.taskId === taskId)).toHaveLength(0);
    } finally {
      site.database.close();
    }
  } finally {
    setLimits(dir, undefined);
  }
  // With no limit set, the same cut is approved (its figures stay in the approval text).
  expect((await approveTask(dir, taskId)).approval.taskId).toBe(taskId);
}, 300_000);
