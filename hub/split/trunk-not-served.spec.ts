// A site that opens a split-learning session before the hub has served the task's trunk (a hub that has
// just restarted, a task just created) is told to wait, 503 with Retry-After, and its runner waits and
// says so, then trains once the trunk is served. A session for a task that is not split learning, has
// ended, does not exist, or whose trunk this hub cannot build is refused for good: the site stops at
// once instead of retrying until its give-up time. A real hub on a loopback port, real signed upgrades.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../main/site/train/backend/index.ts';
import type { SplitWait } from '../../main/site/train/split/index.ts';
import { noduleBatch, nodules } from '../../main/site/train/split/testing/nodule-batches.ts';
import type { SiteEnrollment } from '../../shared/node/federation/index.ts';
import type { SplitConnectionError } from '../../shared/node/split/index.ts';
import { createTask, stopTask } from '../tasks.ts';
import { enrollTestSite, makeTestHub, type TestHub } from '../testing/test-hub.ts';
import { rawSplitSocket, splitSessionRefusal } from './testing/split-session-refusal.ts';
import { splitTestSite, splitTestTask, splitTestTrunk } from './testing/split-test-site.ts';
import { TRUNK_NOT_SERVED_RETRY_SECONDS } from './trunk-not-served.ts';

let testHub: TestHub;
let north: SiteEnrollment;

beforeAll(async () => {
  await selectBackend({ choice: 'wasm' });
  testHub = await makeTestHub();
  north = (await enrollTestSite(testHub.hub, 'north')).enrollment;
}, 60_000);

afterAll(async () => {
  await testHub?.cleanup();
});

async function newTask(strategy: 'splitfed' | 'fedavg'): Promise<string> {
  return (await createTask(testHub.hub.ctx, splitTestTask({ name: strategy }))).id;
}

const refusal = (taskId: string): Promise<SplitConnectionError> => splitSessionRefusal(north, taskId);

/** A signed upgrade's refusal as sent on the wire: status and Retry-After. */
function rawRefusal(taskId: string): Promise<{ status: number; retryAfter: string | undefined }> {
  const socket = rawSplitSocket(north, taskId);
  return new Promise((resolve, reject) => {
    socket.once('open', () => {
      socket.terminate();
      reject(new Error('the session opened'));
    });
    socket.once('unexpected-response', (_request, response) => {
      const header = response.headers['retry-after'];
      resolve({ status: response.statusCode ?? 0, retryAfter: Array.isArray(header) ? header[0] : header });
      socket.terminate();
    });
    socket.once('error', () => undefined);
  });
}

describe('a split session whose trunk is not served', () => {
  it('is answered 503 with Retry-After for an active split task, which the site reads as "wait and retry"', async () => {
    const taskId = await newTask('splitfed');
    expect(await rawRefusal(taskId)).toEqual({
      status: 503,
      retryAfter: String(TRUNK_NOT_SERVED_RETRY_SECONDS),
    });
    const error = await refusal(taskId);
    expect(error).toMatchObject({
      code: 'split-trunk-not-served',
      retry: 'again',
      retryAfterMs: TRUNK_NOT_SERVED_RETRY_SECONDS * 1000,
    });
    expect(error.message).toMatch(/not yet served .* retry after 2 s/);
  });

  it('is refused for good for a task that is not split learning, has ended, does not exist, or cannot be built', async () => {
    const rounds = await newTask('fedavg');
    expect(await rawRefusal(rounds)).toEqual({ status: 404, retryAfter: undefined });
    expect(await refusal(rounds)).toMatchObject({ code: 'no-split-trunk', retry: 'never' });

    expect(await refusal('task-nowhere')).toMatchObject({ code: 'no-split-trunk', retry: 'never' });

    const ended = await newTask('splitfed');
    await stopTask(testHub.hub.ctx, ended);
    expect(await refusal(ended)).toMatchObject({ code: 'task-not-active', retry: 'never' });

    const unbuildable = await newTask('splitfed');
    testHub.hub.split.refuseTrunk(unbuildable, 'its model is not one this hub can run');
    const error = await refusal(unbuildable);
    expect(error).toMatchObject({ code: 'no-split-trunk', retry: 'never' });
    expect(error.message).toMatch(/cannot run this task’s trunk \(its model is not one this hub can run\)/);
  });

  it('keeps a site waiting, saying what for, until the trunk is served; then its step runs', async () => {
    const taskId = await newTask('splitfed');
    const waits: SplitWait[] = [];
    let served: Promise<number | undefined> | null = null;
    const site = splitTestSite(north, taskId, {
      onWait: (wait) => {
        waits.push(wait);
        // The hub hands the trunk in while the site waits (as radfed hub serve's keeper does after a restart).
        served ??= testHub.hub.split.serveTrunk(taskId, splitTestTrunk({ dtype: 'float16' }).trunk);
      },
    });
    const { images, labels } = noduleBatch(nodules(16, 3), 0, 16);
    const outcome = await site.runner.step(0, 0, images, labels);
    images.dispose();
    expect(Number.isFinite(outcome.loss)).toBe(true);
    expect(await served).toBe(0);
    expect(waits.length).toBeGreaterThanOrEqual(1);
    expect(waits[0]).toMatchObject({
      step: 0,
      attempt: 1,
      delayMs: TRUNK_NOT_SERVED_RETRY_SECONDS * 1000,
      message: expect.stringMatching(/^Waiting for the hub to serve this task’s split-learning trunk/),
    });
    site.dispose();
  }, 60_000);
});
