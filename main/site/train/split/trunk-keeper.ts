// The hub's trunks, kept by the process that runs the hub (radfed hub serve, the demo, the tests): for
// every active split-learning task it builds the trunk of the task's model between the task's cuts
// and hands it to the hub's sessions, which restore it from the task's trunk checkpoint when there is
// one (a restarted hub goes on from its last applied step). It lives with the training engine because
// the trunk is tfjs; the hub's code imports only shared/, so it takes the hub's two calls as functions.
import type { SplitTrunkEngine } from '../../../../shared/federation/split/index.ts';
import { federationMethod, type TaskDefinition } from '../../../../shared/federation/index.ts';
import { selectBackend, type BackendChoice } from '../backend/index.ts';
import { createModel, MODEL_ARCHITECTURES } from '../models/index.ts';
import { HubTrunk } from './hub-trunk.ts';
import { adamOptimizer, sgdOptimizer } from './segment-optimizer.ts';

export interface TrunkKeeperOptions {
  /** The active split tasks (hub/split's `activeSplitTasks(hub.ctx)`). */
  readonly splitTasks: () => Promise<
    ReadonlyArray<{ readonly id: string; readonly definition: TaskDefinition }>
  >;
  /**
   * The hub's `split.serveTrunk`: restores the checkpoint, returns the steps applied, or undefined when
   * another replica of the hub serves this trunk (it is looked for again at the next look).
   */
  readonly serveTrunk: (taskId: string, engine: SplitTrunkEngine) => Promise<number | undefined>;
  /**
   * The hub's `split.claimTrunk` (a replicated hub): takes the task's trunk lock before a trunk is
   * built, so the replicas that do not serve it build nothing. Left out, serveTrunk alone decides.
   */
  readonly claimTrunk?: (taskId: string) => Promise<boolean>;
  /** The hub's `split.servesTrunk`: false once this replica lost a trunk's lock, to be served anew. */
  readonly servesTrunk?: (taskId: string) => boolean;
  /**
   * The hub's `split.refuseTrunk`: a task whose trunk cannot be built here is refused to its sites for
   * good (without it they are told "not yet served" and wait until their give-up time).
   */
  readonly refuseTrunk?: (taskId: string, reason: string) => void;
  /**
   * The backend to select before the first trunk is built (a hub process that trains nothing else);
   * left out, the process's current backend (tests and the demo choose their own).
   */
  readonly backend?: BackendChoice;
  /** How often to look for new split tasks (default 1 s). */
  readonly pollMs?: number;
  /** Told of each trunk served, and of a task whose trunk could not be built. */
  readonly onTrunk?: (
    event: { taskId: string; appliedSteps: number } | { taskId: string; error: Error },
  ) => void;
}

/**
 * The trunk of a split task's model (with its head when the task shares labels), initialised as the
 * sites' model is (seed 0), with the task's optimizer.
 */
export function trunkForTask(definition: TaskDefinition): HubTrunk {
  const steps = federationMethod(definition.strategy).steps;
  if (!steps) throw new Error(`Task strategy ${definition.strategy.name} has no trunk.`);
  const architecture = definition.model.name;
  if (!(architecture in MODEL_ARCHITECTURES)) {
    throw new Error(
      `The task's model "${architecture}" is not one this hub can run; update RadFed at the hub.`,
    );
  }
  const model = createModel(architecture as keyof typeof MODEL_ARCHITECTURES, {
    inputSize: definition.input.size,
    channels: 1,
    numClasses: definition.labels.length,
    seed: 0,
  });
  const rate = definition.optimizer.learningRate;
  return new HubTrunk(model, {
    dtype: steps.frameDtype,
    ...(steps.cuts ? { cuts: steps.cuts } : {}),
    optimizer: definition.optimizer.name === 'sgd' ? sgdOptimizer(rate) : adamOptimizer(rate),
    // Label sharing: the head is the hub's too, trained and checkpointed with the trunk.
    headAtHub: steps.headAt === 'hub',
  });
}

export class TrunkKeeper {
  /** The trunk served for each task (tests and the demo read the trunk's weights). */
  readonly trunks = new Map<string, HubTrunk>();
  private readonly failed = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  private looking: Promise<void> | null = null;
  private backendReady = false;

  constructor(private readonly options: TrunkKeeperOptions) {}

  /** Serves the trunks of the tasks active now, then keeps looking for new ones. */
  async start(): Promise<void> {
    await this.serveNewTasks();
    this.timer = setInterval(() => void this.serveNewTasks(), this.options.pollMs ?? 1000);
    this.timer.unref();
  }

  /** Looks for split tasks without a trunk now (a test that has just created a task calls it). */
  serveNewTasks(): Promise<void> {
    this.looking ??= this.look().finally(() => {
      this.looking = null;
    });
    return this.looking;
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private async look(): Promise<void> {
    for (const task of await this.options.splitTasks()) {
      if (this.failed.has(task.id)) continue;
      if (this.trunks.has(task.id)) {
        if (this.options.servesTrunk?.(task.id) !== false) continue;
        this.trunks.delete(task.id); // its lock was lost: served again from the checkpoint, if ours again
      }
      try {
        if (this.options.claimTrunk && !(await this.options.claimTrunk(task.id))) continue;
        if (!this.backendReady && this.options.backend) await selectBackend({ choice: this.options.backend });
        this.backendReady = true;
        const trunk = trunkForTask(task.definition);
        const appliedSteps = await this.options.serveTrunk(task.id, trunk);
        if (appliedSteps === undefined) continue; // another replica took it first
        this.trunks.set(task.id, trunk);
        this.options.onTrunk?.({ taskId: task.id, appliedSteps });
      } catch (error) {
        // A task the hub cannot run a trunk for stays without one (its sites are refused); said once.
        this.failed.add(task.id);
        this.options.refuseTrunk?.(task.id, (error as Error).message);
        this.options.onTrunk?.({ taskId: task.id, error: error as Error });
      }
    }
  }
}
