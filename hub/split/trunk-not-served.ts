// Why a site's split-learning session has no trunk to talk to, in the two answers a site must tell
// apart: "not yet" (the task is an active split task, but the process that runs the hub has not handed
// its trunk in: the hub has just restarted and is restoring it, or the task was just created) is a 503
// with Retry-After, worth waiting for; anything else (no such task, a task that is not split learning,
// a task that has ended, a trunk this hub cannot build) is a 404 or 409 that stays true, so the site
// stops at once instead of retrying until its give-up time.
import { federationMethod } from '../../shared/federation/index.ts';
import type { HubContext } from '../hub-context.ts';
import { HubError } from '../hub-errors.ts';
import type { TaskRow } from '../store/index.ts';
import { definitionOf } from '../tasks.ts';

/**
 * How long a site is told to wait: the trunk keeper looks for new split tasks every second, and a
 * restored trunk is served within a few seconds of the hub listening.
 */
export const TRUNK_NOT_SERVED_RETRY_SECONDS = 2;

export class TrunkNotServedError extends HubError {
  readonly retryAfterSeconds = TRUNK_NOT_SERVED_RETRY_SECONDS;
  /**
   * 'elsewhere': a replicated hub where another replica holds this trunk; the site's retry goes
   * through the load balancer again, to the next replica, until it reaches the one that serves it.
   */
  constructor(why: 'not-yet' | 'elsewhere' = 'not-yet') {
    super(
      'split-trunk-not-served',
      503,
      why === 'elsewhere'
        ? 'This split-learning task’s trunk is served by another replica of this hub; ' +
            `retry after ${TRUNK_NOT_SERVED_RETRY_SECONDS} s (the load balancer sends the retry on).`
        : 'The hub has not yet served this split-learning task’s trunk (it has just started, or the task ' +
            `is new); retry after ${TRUNK_NOT_SERVED_RETRY_SECONDS} s.`,
    );
  }
}

/** The refusal for an upgrade to `taskId` when no trunk is served for it. */
export async function refusalWithoutTrunk(
  ctx: HubContext,
  taskId: string,
  unservable: string | undefined,
): Promise<HubError> {
  const task = await ctx.store.tasks.task(taskId);
  if (!task) {
    return new HubError(
      'no-split-trunk',
      404,
      'There is no such task at this hub, so no split-learning trunk; check the task with the coordinator.',
    );
  }
  if (!runsPerStep(task)) {
    return new HubError(
      'no-split-trunk',
      404,
      'This task is not a split-learning task, so the hub serves no trunk for it; the site trains it by rounds.',
    );
  }
  if (task.state !== 'active') {
    return new HubError(
      'task-not-active',
      409,
      `This split-learning task is ${task.state}; the hub no longer serves its trunk.`,
    );
  }
  if (unservable !== undefined) {
    return new HubError(
      'no-split-trunk',
      404,
      `The hub cannot run this task’s trunk (${unservable}); ask the coordinator to update RadFed at the hub.`,
    );
  }
  return new TrunkNotServedError();
}

function runsPerStep(task: TaskRow): boolean {
  try {
    return federationMethod(definitionOf(task).strategy).rhythm === 'step';
  } catch {
    return false; // a definition this hub cannot read is no split task it can serve
  }
}
