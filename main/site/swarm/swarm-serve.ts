// `radfed swarm serve` as a function, so the CLI and the specs (a member as its own process, killed
// and started again) run the same code: the member's server on its address, its ledger caught up, and,
// when its operator approved a task (swarm-task-approval.ts), its part in the task's rounds.
import type { Logger } from 'pino';
import type { NamedTensor, WeightSet } from '../../../shared/federation/index.ts';
import { openSiteAudit } from './plan-refusal-audit.ts';
import type { MemberUpdate } from './round-secagg-member.ts';
import { SwarmService, type SwarmServiceEvent } from './swarm-service.ts';
import type { SwarmNode } from './swarm-node.ts';
import { readApprovedSwarmTask, swarmModelDir } from './swarm-task-approval.ts';
import { startSwarmMember } from './swarm-site.ts';
import type { SwarmTask } from './swarm-task.ts';

/** The initial model of a task with training (the founder's `radfed swarm task`); loads TensorFlow.js. */
export async function initialSwarmModel(task: SwarmTask): Promise<NamedTensor[]> {
  return (await import('./swarm-cohort-trainer.ts')).initialSwarmModel(task);
}

export interface ServedSwarmMember {
  readonly node: SwarmNode;
  /** Null when this member approved no task: it answers peers (joins, countersigning) only. */
  readonly service: SwarmService | null;
  /** Stops the rounds, then the server; the ledger and the kept models stay in the folder. */
  stop(): Promise<void>;
}

export async function serveSwarmMember(
  dir: string,
  options: {
    readonly logger: Logger;
    readonly host?: string;
    readonly port?: number;
    readonly timeoutMs?: number;
    /** The member's training; by default the site's cohort with the task's model. */
    readonly train?: (global: WeightSet, round: number) => Promise<MemberUpdate>;
    readonly onEvent?: (event: SwarmServiceEvent) => void;
  },
): Promise<ServedSwarmMember> {
  const node = await startSwarmMember(dir, options);
  let siteAudit: ReturnType<typeof openSiteAudit> = null;
  try {
    await node.catchUp();
    const task = readApprovedSwarmTask(dir);
    // TensorFlow.js loads only for a member that trains on its cohort, not for one that only serves.
    const train =
      options.train ??
      (task === null ? null : (await import('./swarm-cohort-trainer.ts')).cohortTrainer(dir, task));
    // A member in a site folder records a leader's refused plan in the site's audit log.
    siteAudit = task === null ? null : openSiteAudit(dir);
    const audit = siteAudit?.audit ?? null;
    const service =
      task === null || train === null
        ? null
        : await SwarmService.start({
            node,
            task,
            modelDir: swarmModelDir(dir),
            train,
            ...(options.onEvent ? { onEvent: options.onEvent } : {}),
            ...(audit ? { audit } : {}),
          });
    const opened = siteAudit;
    return {
      node,
      service,
      stop: async () => {
        await service?.stop();
        await node.stop();
        opened?.close();
      },
    };
  } catch (error) {
    await node.stop();
    siteAudit?.close();
    throw error;
  }
}
