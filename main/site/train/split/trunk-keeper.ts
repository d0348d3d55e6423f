// The hub's trunks, kept by the process that runs the hub (radfed hub serve, the demo, the tests): for
// every active split-learning task it builds the trunk of the task's model between the task's cuts
// and hands it to the hub's sessions, which restore it from the task's trunk checkpoint when there is
// one (a restarted hub goes on from its last applied step). When a task ends (completed, stopped or
// cancelled) its trunk is let go at the next look: the hub stops serving it and releases its lock, and
// its tensors are freed. It lives with the training engine because the trunk is tfjs; the hub's code
// imports only shared/, so it takes the hub's calls as functions.
import type { SplitTrunkEngine } from '../../../../shared/federation/split/index.ts';
import { federationMethod, type TaskDefinition } from '../../../../shared/federation/index.ts';
import { selectBackend, type BackendChoice } from '../backend/index.ts';
import { createModel, MODEL_ARCHITECTURES, type ImageModel } from '../models/index.ts';
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
   * The hub's `split.releaseTrunk`: stops serving an ended task's trunk (its sessions closed, its lock
   * released) before the keeper frees the trunk's tensors. Left out (a test that reads a trunk after its
   * task), ended tasks' trunks are kept, as they are served, until the process ends.
   */
  readonly releaseTrunk?: (taskId: string) => Promise<unknown>;
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
  /** Told of each trunk served, of a task whose trunk could not be built, and of each trunk let go. */
  readonly onTrunk?: (event: TrunkEvent) => void;
}

export type TrunkEvent =
  | { readonly taskId: string; readonly appliedSteps: number }
  | { readonly taskId: string; readonly error: Error }
  | { readonly taskId: string; readonly released: true };

/** The task's whole model as the sites' initial model is made (seed 0); the trunk is cut from it. */
export function modelForTask(definition: TaskDefinition): ImageModel {
  const architecture = definition.model.name;
  if (!(architecture in MODEL_ARCHITECTURES)) {
    throw new Error(
      `The task's model "${architecture}" is not one this hub can run; update RadFed at the hub.`,
    );
  }
  return createModel(architecture as keyof typeof MODEL_ARCHITECTURES, {
    inputSize: definition.input.size,
    channels: 1,
    numClasses: definition.labels.length,
    seed: 0,
  });
}

/**
 * The trunk of a split task's model (with its head when the task shares labels), initialised as the
 * sites' model is (seed 0), with the task's optimizer. It uses `model`'s variables: dispose the model
 * once the trunk is done with.
 */
export function trunkForTask(definition: TaskDefinition, model = modelForTask(definition)): HubTrunk {
  const steps = federationMethod(definition.strategy).steps;
  if (!steps) throw new Error(`Task strategy ${definition.strategy.name} has no trunk.`);
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
  /** Each served trunk's model, whose variables the trunk uses: freed when the trunk is let go. */
  private readonly models = new Map<string, ImageModel>();
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
    const tasks = await this.options.splitTasks();
    await this.letGoOfEnded(new Set(tasks.map((task) => task.id)));
    for (const task of tasks) {
      if (this.failed.has(task.id)) continue;
      if (this.trunks.has(task.id)) {
        if (this.options.servesTrunk?.(task.id) !== false) continue;
        this.free(task.id); // its lock was lost: served again from the checkpoint, if ours again
      }
      let model: ImageModel | null = null;
      try {
        if (this.options.claimTrunk && !(await this.options.claimTrunk(task.id))) continue;
        if (!this.backendReady && this.options.backend) await selectBackend({ choice: this.options.backend });
        this.backendReady = true;
        model = modelForTask(task.definition);
        const trunk = trunkForTask(task.definition, model);
        const appliedSteps = await this.options.serveTrunk(task.id, trunk);
        if (appliedSteps === undefined) {
          model.dispose(); // another replica took it first
          continue;
        }
        this.trunks.set(task.id, trunk);
        this.models.set(task.id, model);
        this.options.onTrunk?.({ taskId: task.id, appliedSteps });
      } catch (error) {
        if (model && !this.models.has(task.id)) model.dispose();
        // A task the hub cannot run a trunk for stays without one (its sites are refused); said once.
        this.failed.add(task.id);
        this.options.refuseTrunk?.(task.id, (error as Error).message);
        this.options.onTrunk?.({ taskId: task.id, error: error as Error });
      }
    }
  }

  /** Lets go of the trunks of tasks no longer active: the hub stops serving them, then they are freed. */
  private async letGoOfEnded(active: ReadonlySet<string>): Promise<void> {
    for (const taskId of [...this.failed]) if (!active.has(taskId)) this.failed.delete(taskId);
    const release = this.options.releaseTrunk;
    if (!release) return;
    for (const taskId of [...this.trunks.keys()]) {
      if (active.has(taskId)) continue;
      await release(taskId);
      this.free(taskId);
      this.options.onTrunk?.({ taskId, released: true });
    }
  }

  private free(taskId: string): void {
    this.trunks.get(taskId)?.dispose();
    this.models.get(taskId)?.dispose();
    this.trunks.delete(taskId);
    this.models.delete(taskId);
  }
}
