// `radfed hub serve` keeps the trunk of every active split-learning task: the hub's code holds no
// tfjs, so the process that runs it builds each trunk (main/site/train/split/trunk-keeper.ts) and hands
// it to the hub's sessions, which resume it from its checkpoint after a restart.
import type { RunningHub } from '../hub/index.ts';
import { activeSplitTasks } from '../hub/split/index.ts';
import { TrunkKeeper } from '../main/site/train/split/index.ts';

export async function keepSplitTrunks(
  hub: RunningHub,
  say: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
): Promise<TrunkKeeper> {
  const keeper = new TrunkKeeper({
    splitTasks: () => activeSplitTasks(hub.ctx),
    serveTrunk: (taskId, engine) => hub.split.serveTrunk(taskId, engine),
    releaseTrunk: (taskId) => hub.split.releaseTrunk(taskId),
    claimTrunk: (taskId) => hub.split.claimTrunk(taskId),
    servesTrunk: (taskId) => hub.split.servesTrunk(taskId),
    refuseTrunk: (taskId, reason) => hub.split.refuseTrunk(taskId, reason),
    backend: 'auto',
    onTrunk: (event) =>
      say(
        'error' in event
          ? `Split task ${event.taskId}: no trunk could be built (${event.error.message}); its sites will be refused.`
          : 'released' in event
            ? `Split task ${event.taskId}: the task has ended; its trunk is no longer served (its checkpoint is kept).`
            : `Split task ${event.taskId}: serving its trunk (${event.appliedSteps} steps applied so far).`,
      ),
  });
  await keeper.start();
  return keeper;
}
