// Which tasks need a trunk: the active tasks whose method runs per step (split learning). The process
// that starts the hub reads this to build and hand in each task's trunk (hub code holds no tfjs).
// One store call (listTasks).
import type { TaskDefinition } from '../../shared/federation/index.ts';
import type { HubContext } from '../hub-context.ts';
import { definitionOf } from '../tasks.ts';

export interface SplitTaskToServe {
  readonly id: string;
  readonly definition: TaskDefinition;
}

export async function activeSplitTasks(ctx: HubContext): Promise<SplitTaskToServe[]> {
  return (await ctx.store.tasks.listTasks())
    .filter((task) => task.state === 'active')
    .map((task) => ({ id: task.id, definition: definitionOf(task) }))
    .filter((task) => task.definition.strategy.name === 'splitfed');
}
