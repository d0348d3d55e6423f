// A member's approval of its swarm's task, in D/swarm-task.json: the task every round-start names by
// hash, so a member commits only to rounds of the task its operator approved (`radfed swarm task`).
// The file is the approval; every member approves the same file (the founder fills in the initial
// model's hash, and hands the file on), and a member whose file differs is refused by the others'
// round-start checks.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomically } from '../../../shared/node/index.ts';
import { SwarmError } from './swarm-error.ts';
import { swarmTaskHash, swarmTaskSchema, type SwarmTask } from './swarm-task.ts';

export const approvedTaskPath = (dir: string) => join(dir, 'swarm-task.json');
export const swarmModelDir = (dir: string) => join(dir, 'swarm-models');

/** Parses a task file; the error says which field is wrong and what to do. */
export function parseSwarmTask(value: unknown): SwarmTask {
  const parsed = swarmTaskSchema.safeParse(value);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new SwarmError(
      'bad-message',
      `The swarm task file is not valid: ${first?.path.join('.') || 'the file'}: ${first?.message ?? 'unreadable'}. ` +
        'Fix it, or ask the member that wrote it for the file the swarm uses.',
    );
  }
  return parsed.data;
}

export function approveSwarmTask(dir: string, task: SwarmTask): string {
  writeFileAtomically(approvedTaskPath(dir), `${JSON.stringify(task, null, 2)}\n`);
  return swarmTaskHash(task);
}

/** The task this member approved, or null when it approved none. */
export function readApprovedSwarmTask(dir: string): SwarmTask | null {
  const path = approvedTaskPath(dir);
  if (!existsSync(path)) return null;
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    throw new SwarmError(
      'bad-message',
      'swarm-task.json in this folder is damaged; approve the task file again (`radfed swarm task`).',
    );
  }
  return parseSwarmTask(json);
}

/** The task in plain words, for the person approving it. */
export function describeSwarmTask(task: SwarmTask): string {
  const training = task.training;
  return [
    `Task "${task.name}": ${task.rounds} round${task.rounds === 1 ? '' : 's'} of swarm learning, with no hub.`,
    training
      ? `Each round this site trains the "${training.model}" model on its own cohort` +
        `${training.cohortTask ? ` (site task "${training.cohortTask}")` : ''} for ${training.localEpochs} ` +
        `epoch${training.localEpochs === 1 ? '' : 's'} (batch ${training.batchSize}, learning rate ${training.learningRate}).`
      : 'The task names no training for `radfed swarm serve`; a program that brings its own trainer runs it.',
    'Only a masked update leaves this site: the member the ledger elects for each round combines the updates under ' +
      'secure aggregation and learns only their sum. No image, label or patient identifier leaves.',
    ...(task.secureAggregation.minimumParticipants
      ? [
          `A round's sum holds the updates of at least ${task.secureAggregation.minimumParticipants} members; this site refuses a smaller one.`,
        ]
      : []),
    `A round's leader that does not commit within ${task.leaderTimeoutMs / 1000} s is replaced by the next in the ledger's order.`,
    `Initial model SHA-256 ${task.initialModel.slice(0, 16)}…`,
  ].join('\n');
}
