// The hijack check wired into a split-learning round: a real site agent (real ingest, cohort, approval)
// trains a splitfed task whose hub serves a hijacking trunk (a simulated FSHA hub: honest forward
// passes, gradients at cut 1 of its own objective; testing/hijacking-trunk-engine.ts). Between its
// steps the site reads its held-back loss through the session's evaluation exchange; the rule stops
// the session, the round is given up (no update is sent), the reason is in the site's events in plain
// words and in its audit log, and the site's approval of the task is withdrawn. (That an honest hub is
// not stopped is shown over a real session in main/site/train/split/session-hijack-check.spec.ts; this
// one shows that the round acts on a verdict.)
import { afterAll, beforeAll, expect, it } from 'vitest';
import { AuditLog } from '../audit/index.ts';
import { openSite } from '../store/index.ts';
import { createModel, selectBackend } from '../train/index.ts';
import { HijackingTrunkEngine } from '../train/split/testing/hijacking-trunk-engine.ts';
import { approveTask, enrollSiteWithHub, listApprovals } from './index.ts';
import { SPLIT_SESSION_STOPPED } from './split-round-audit.ts';
import { makeFederationFixture, type FederationFixture } from './testing/federation-fixture.ts';
import { runSplitSites, splitStory } from './testing/splitfed-run.ts';

let fixture: FederationFixture;

beforeAll(async () => {
  await selectBackend({ choice: 'wasm' });
  fixture = await makeFederationFixture({ sites: 1, patients: 48 });
  const site = fixture.sites[0]!;
  await enrollSiteWithHub({ siteDir: site.dir, token: (await fixture.testHub.hub.createToken()).token });
}, 120_000);

afterAll(async () => {
  await fixture?.cleanup();
});

it('stops a round whose hub hijacks the site\u2019s training, says why in its events and audit log, and sends no update', async () => {
  const site = fixture.sites[0]!;
  const taskId = await fixture.createTask({
    name: 'split hijack',
    model: { name: 'resnet-small-gn' },
    strategy: {
      name: 'splitfed',
      frameDtype: 'float32',
      labelSharing: false,
      defences: {
        gradientMaxNorm: false,
        hijackCheck: {
          validationImages: 8,
          checkEvery: 2,
          warmupChecks: 4,
          minimumDrop: 0.2,
          riseTolerance: 0.25,
          patience: 3,
        },
      },
    },
    quorum: 1,
    localEpochs: 3,
    privacy: { secureAggregation: false },
  });
  const config = { inputSize: 16, channels: 1, numClasses: 2 };
  const engine = new HijackingTrunkEngine(
    createModel('resnet-small-gn', { ...config, seed: 0 }),
    createModel('resnet-small-gn', { ...config, seed: 99 }),
  );
  await fixture.testHub.hub.split.serveTrunk(taskId, engine);
  await approveTask(site.dir, taskId);

  const stop = new AbortController();
  const stopped =
    /^Split learning was stopped at this site: after \d+ steps, its loss on the 8 images it held back is no better than chance/;
  const run = runSplitSites([site], [stop.signal], (_, event) => {
    if (event.type === 'problem' && stopped.test(event.message)) stop.abort();
  });
  const [result] = await run.done;
  const events = run.events[0]!;
  expect(result!.status, splitStory(events)).toBe('fulfilled');

  const problem = events.find((e) => e.type === 'problem');
  expect(problem && 'message' in problem ? problem.message : JSON.stringify(events)).toMatch(stopped);
  expect(events.some((e) => e.type === 'submitted')).toBe(false);
  // Four readings, two steps apart: the session stopped before step 6, and the hub took 6 steps.
  expect(engine.appliedSteps).toBe(6);

  const opened = openSite(site.dir);
  try {
    const entries = new AuditLog(opened.database).list().filter((e) => e.type === SPLIT_SESSION_STOPPED);
    expect(entries).toHaveLength(1);
    // The approval is withdrawn (audited): no later round of the task trains until it is approved again.
    expect(listApprovals(opened.database).filter((a) => a.taskId === taskId)).toHaveLength(0);
    const withdrawn = new AuditLog(opened.database).list({ type: 'federation.approval-withdrawn' });
    expect(withdrawn.map((e) => e.detail.taskId)).toEqual([taskId]);
    expect(entries[0]!.detail).toMatchObject({
      taskId,
      taskName: 'split hijack',
      round: 1,
      step: 6,
      code: 'hub-hijack-suspected',
      reason: expect.stringMatching(stopped),
    });
  } finally {
    opened.database.close();
  }
}, 300_000);
