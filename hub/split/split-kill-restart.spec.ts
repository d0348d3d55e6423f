// kill -9 of the hub in the middle of split-learning steps, twice (once just after a site's activations
// reached it, once just after a gradient did), each time restarted on the same folder and port, and a
// site connection cut just after a gradient with the hub running. The
// site resumes through its runner, and at the end the trunk and the site's segments are exactly those
// of the same steps run without any failure: no step was lost and none was applied twice. The same
// run with label sharing (the head at the hub, one exchange a step) ends with the hub's trunk and head
// as the unbroken run's, and a hostile labels frame sent to that hub is refused and changes nothing.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeLabelledStep, encodeLabelsFrame } from '../../shared/federation/split/index.ts';
import { enrollSite, type SiteEnrollment } from '../../shared/node/federation/index.ts';
import { SplitConnection } from '../../shared/node/split/index.ts';
import { selectBackend } from '../../main/site/train/backend/index.ts';
import { createModel } from '../../main/site/train/models/index.ts';
import { adamOptimizer, SplitSite, type HubTrunk } from '../../main/site/train/split/index.ts';
import { noduleBatch, nodules } from '../../main/site/train/split/testing/nodule-batches.ts';
import { createEnrollmentToken } from '../enrollment.ts';
import { openHubContext } from '../hub-context.ts';
import { initHub } from '../setup/index.ts';
import { createTask } from '../tasks.ts';
import { SPLIT_TEST_MODEL, splitTestSite, splitTestTask, splitTestTrunk } from './testing/split-test-site.ts';
import { maxParameterDifference, runSplitTestSteps, unbrokenSplitRun } from './testing/split-test-steps.ts';
import { readTrunkCheckpoint } from './trunk-checkpoint-file.ts';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const BATCH = 16;
const STEPS = 10;

/** A way of running the steps: U-shaped (the head at the site) or label sharing (the head at the hub). */
interface Mode {
  readonly name: string;
  readonly headAtHub: boolean;
  /** The task's id: a real active splitfed task, so a site in the gap after a restart is told to wait. */
  task: string;
  /** The exchanges (counted from 1, retries included) just after which the hub is killed. */
  readonly killAfter: ReadonlySet<number>;
  /** The exchange just after which the site's connection is cut, the hub left running. */
  readonly cutAfter: number;
}

const MODES: Mode[] = [
  // Two exchanges a step: step 3's activations, step 6's gradient; the cut after step 8's gradient.
  { name: 'U-shaped', headAtHub: false, task: '', killAfter: new Set([7, 14]), cutAfter: 18 },
  // One exchange a step (its labels and activations): step 3, then step 6 (after one retry of step 3).
  { name: 'label sharing', headAtHub: true, task: '', killAfter: new Set([4, 8]), cutAfter: 10 },
];

let root: string;
let dir: string;
let child: ChildProcess | undefined;

function spawnHub(mode: Mode, port: number): Promise<{ url: string; port: number; applied: number }> {
  const started = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'hub/split/testing/trunk-hub-child.ts',
      dir,
      String(port),
      mode.task,
      ...(mode.headAtHub ? ['label-sharing'] : []),
    ],
    { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child = started;
  return new Promise((resolve, reject) => {
    let output = '';
    started.stdout?.on('data', (part: Buffer) => {
      output += part.toString();
      const match = /listening on (https:\/\/\S+:(\d+)) with (\d+) split steps applied/.exec(output);
      if (match) resolve({ url: match[1]!, port: Number(match[2]), applied: Number(match[3]) });
    });
    started.stderr?.on('data', (part: Buffer) => (output += part.toString()));
    started.on('exit', (code) => reject(new Error(`hub exited (${code}) before listening: ${output}`)));
  });
}

function killHub(): Promise<void> {
  const victim = child;
  child = undefined;
  if (!victim || victim.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    victim.once('exit', () => resolve());
    victim.kill('SIGKILL');
  });
}

beforeAll(async () => {
  await selectBackend({ choice: 'wasm' });
  root = mkdtempSync(join(tmpdir(), 'radfed-split-kill-'));
  dir = join(root, 'hub');
  await initHub({ dir });
  // The hub restarted after kill -9 listens before its process hands the trunk back in; in that gap the
  // site's upgrade must be answered "not yet served" (503, retried), which the hub says only for a task
  // it knows to be an active split task.
  const ctx = openHubContext(dir);
  for (const mode of MODES) {
    const strategy = { name: 'splitfed' as const, labelSharing: mode.headAtHub };
    mode.task = (await createTask(ctx, splitTestTask(strategy))).id;
  }
  await ctx.store.close();
});

afterAll(async () => {
  await killHub();
  rmSync(root, { recursive: true, force: true });
});

describe.each(MODES)('kill -9 of the hub mid-epoch in split learning, $name', (mode) => {
  let enrollment: SiteEnrollment;
  afterAll(() => killHub());

  it('resumes after two kills and a cut connection with every step applied once: the trunk (and head) and the site end as an unbroken run', async () => {
    const first = await spawnHub(mode, 0);
    const ctx = openHubContext(dir);
    const token = await createEnrollmentToken(ctx, { hubUrl: first.url, expiresInMs: 3600_000 });
    await ctx.store.close();
    enrollment = await enrollSite({
      token: token.token,
      siteName: mode.headAtHub ? 'north-sharing' : 'north',
    });

    let exchanges = 0;
    const restarts: Promise<unknown>[] = [];
    const site = splitTestSite(enrollment, mode.task, {
      headAtHub: mode.headAtHub,
      wrap: (connection) => ({
        close: () => connection.close(),
        exchange: async (frame) => {
          exchanges += 1;
          if (exchanges === mode.cutAfter) {
            const answer = connection.exchange(frame);
            site.connections.at(-1)!.terminate();
            return answer;
          }
          if (!mode.killAfter.has(exchanges)) return connection.exchange(frame);
          const answer = connection.exchange(frame);
          answer.catch(() => undefined); // it fails while the hub is killed; the runner reads that below
          // The frame is on its way; the hub dies before or after it acts on it, then comes back.
          await new Promise((resolve) => setTimeout(resolve, 30));
          await killHub();
          restarts.push(spawnHub(mode, first.port));
          return answer;
        },
      }),
    });
    await runSplitTestSteps(site, STEPS, BATCH);
    expect(restarts).toHaveLength(2);
    expect(site.runner.retries).toBeGreaterThanOrEqual(3);

    const saved = await readTrunkCheckpoint(dir, mode.task);
    const restored = restoredTrunk(saved!.engine);
    expect(restored.appliedSteps).toBe(STEPS);
    expect(restored.finishedStep(site.session)).toBe(STEPS - 1);

    // With label sharing the restored segment is the trunk and the head: the head came back intact.
    const reference = await unbrokenSplitRun(site.session, STEPS, BATCH, mode.headAtHub);
    expect(restored.trunk.parameters.length).toBe(reference.trunk.length);
    expect(await maxParameterDifference(restored.trunk.parameters, reference.trunk)).toBeLessThan(1e-6);
    expect(await maxParameterDifference(site.site.segmentParameters, reference.site)).toBeLessThan(1e-6);
    site.dispose();
  }, 300_000);

  // Registered for label sharing only (a labels frame means nothing to a U-shaped trunk).
  if (mode.headAtHub)
    it('refuses a hostile labels frame (a label outside the classes, a count that lies) and applies nothing', async () => {
      const before = (await readTrunkCheckpoint(dir, mode.task))!.engine;
      const session = 'e5'.repeat(16);
      const connection = await SplitConnection.open({
        hubUrl: enrollment.hubUrl,
        caPem: enrollment.caPem,
        siteId: enrollment.siteId,
        signingPrivateKeyPem: enrollment.signingPrivateKeyPem,
        taskId: mode.task,
        session,
      });
      const site = new SplitSite(createModel(SPLIT_TEST_MODEL.architecture, SPLIT_TEST_MODEL.config), {
        session,
        optimizers: { bottom: adamOptimizer(0.01), head: adamOptimizer(0.01) },
        headAtHub: true,
      });
      const { images, labels } = noduleBatch(nodules(BATCH, 8), 0, BATCH);
      const honest = await site.labelledStep(0, 0, images, labels);
      // Label 9 in a two-class task (written past the encoder's check, as a hostile sender would).
      const outside = honest.slice();
      outside[36 + 3] = 9;
      await expect(connection.exchange(outside)).rejects.toMatchObject({
        code: 'bad-labels-frame',
        retry: 'never',
        message: expect.stringMatching(/class index from 0 to 1.*9 is not/),
      });
      // A count that says more labels than the frame carries before its activations.
      const lying = honest.slice();
      new DataView(lying.buffer).setUint32(32, BATCH + 1, true);
      await expect(connection.exchange(lying)).rejects.toMatchObject({
        code: 'bad-labels-frame',
        retry: 'never',
      });
      // Labels for a batch other than the activations'.
      const short = encodeLabelledStep(
        encodeLabelsFrame({ session, step: 0, batch: 0 }, labels.subarray(0, 4), 2),
        honest.subarray(36 + BATCH),
      );
      await expect(connection.exchange(short)).rejects.toMatchObject({ code: 'bad-labels-frame' });
      connection.close();
      images.dispose();
      site.dispose();
      // Nothing was applied: the trunk's checkpoint is the one before.
      const after = restoredTrunk((await readTrunkCheckpoint(dir, mode.task))!.engine);
      expect(after.appliedSteps).toBe(restoredTrunk(before).appliedSteps);
      expect(after.finishedStep(session)).toBe(-1);
    }, 60_000);

  function restoredTrunk(checkpoint: Uint8Array): HubTrunk {
    const { trunk } = splitTestTrunk({ headAtHub: mode.headAtHub });
    trunk.restore(checkpoint);
    return trunk;
  }
});
