// What the site remembers of each federated task between runs, in
// D/federation/tasks/<task>/state.json (replaced atomically): the round it is working on and how far
// it got, rounds it sent an update for that have not been published yet, and the last global model it
// evaluated. With the checkpoints and the sealed update beside it, a restart resumes the same work.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { writeFileAtomically } from '../../../shared/node/index.ts';
import { SyncError } from './sync-error.ts';

const roundWorkSchema = z.object({
  round: z.number().int().min(1),
  baseVersion: z.number().int().min(0),
  /**
   * training: checkpoints under round-N/checkpoint; sealed: round-N/update.sealed is ready to send;
   * prepared (secure aggregation): round-N/update.rfw waits to be masked once the hub fixes the plan.
   */
  phase: z.enum(['training', 'sealed', 'prepared']),
  startedAt: z.string(),
  trainSeconds: z.number().nullable(),
  /** The hub's upload id once an upload was opened (for the operator; the hub resumes by hash). */
  uploadId: z.string().nullable(),
  /** Pseudonyms of the patients whose images trained this update (written to round_participation). */
  patients: z.array(z.string()),
});

const pendingSchema = z.object({
  round: z.number().int().min(1),
  baseVersion: z.number().int().min(0),
  patients: z.array(z.string()),
});

const stateSchema = z.object({
  format: z.literal(1),
  taskId: z.string(),
  current: roundWorkSchema.nullable(),
  pending: z.array(pendingSchema),
  lastEvaluatedVersion: z.number().int().nullable(),
  /** Rounds this site finished, for the operator and the demo's table. */
  history: z.array(
    z.object({
      round: z.number().int(),
      outcome: z.enum(['submitted', 'refused', 'missed']),
      reason: z.string().nullable(),
      trainSeconds: z.number().nullable(),
      uploadSeconds: z.number().nullable(),
      sentBytes: z.number().int(),
      examples: z.number().int(),
    }),
  ),
});

export type RoundWork = z.infer<typeof roundWorkSchema>;
export type PendingRound = z.infer<typeof pendingSchema>;
export type TaskState = z.infer<typeof stateSchema>;
export type RoundRecord = TaskState['history'][number];

export function taskFolder(tasksRoot: string, taskId: string): string {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(taskId))
    throw new SyncError('bad-state', `"${taskId}" is not a task id.`);
  return join(tasksRoot, taskId);
}

export function roundFolder(taskDir: string, round: number): string {
  return join(taskDir, `round-${String(round).padStart(4, '0')}`);
}

export function loadTaskState(taskDir: string, taskId: string): TaskState {
  const path = join(taskDir, 'state.json');
  if (!existsSync(path)) {
    return { format: 1, taskId, current: null, pending: [], lastEvaluatedVersion: null, history: [] };
  }
  try {
    return stateSchema.parse(JSON.parse(readFileSync(path, 'utf8')));
  } catch {
    throw new SyncError(
      'bad-state',
      `${path} is damaged; move the folder ${taskDir} aside to start this task's work afresh (the hub keeps what it received).`,
    );
  }
}

export function saveTaskState(taskDir: string, state: TaskState): void {
  mkdirSync(taskDir, { recursive: true });
  writeFileAtomically(join(taskDir, 'state.json'), `${JSON.stringify(state, null, 1)}\n`, { mode: 0o600 });
}
