// The one check of a new task's definition, used by `radfed hub task create` and by the dashboard's
// form: the schema, the hub's own rules, each problem in plain words with the field it is about, and
// warnings that do not stop the task (a privacy budget that ends it early).
import type { z } from 'zod';
import {
  federationMethod,
  formatEpsilon,
  privacySpentAfter,
  taskDefinitionSchema,
  type TaskDefinition,
} from '../shared/federation/index.ts';
import { checkTaskPrivacy, withCalibratedNoise } from './privacy-checks.ts';

export interface TaskProblem {
  /** Where in the definition, dotted (`optimizer.learningRate`); '' for the whole task. */
  readonly path: string;
  readonly message: string;
}

export type TaskCheck =
  | { readonly ok: true; readonly definition: TaskDefinition; readonly warnings: string[] }
  | { readonly ok: false; readonly problems: TaskProblem[] };

export function checkTaskDefinition(input: unknown): TaskCheck {
  // A patient-level DP task without σ gets it calibrated from its budget (hub/privacy-checks.ts).
  const parsed = taskDefinitionSchema.safeParse(withCalibratedNoise(input));
  if (!parsed.success) {
    return { ok: false, problems: parsed.error.issues.map((issue) => plainProblem(issue, input)) };
  }
  const task = parsed.data;
  const method = federationMethod(task.strategy);
  // A method whose parts are not all built (its record says which) is refused, so no task waits forever.
  if (method.unavailable) return { ok: false, problems: [{ path: 'strategy', message: method.unavailable }] };
  // A setting only this method cannot run with (split learning's NoPeek and the batch size).
  const methodProblem = method.taskProblem?.(task) ?? null;
  if (methodProblem) return { ok: false, problems: [methodProblem] };
  // Whether the named sites can meet the quorum is the method's to say (cyclic needs one per round).
  const quorumProblem = task.sites
    ? method.participation.quorumProblem(task.quorum, task.sites.length)
    : null;
  if (quorumProblem) return { ok: false, problems: [{ path: 'quorum', message: quorumProblem }] };
  // Refuses a budget that funds fewer rounds than the task asks for; states what a site needs (patient DP).
  const privacy = checkTaskPrivacy(task);
  if (privacy.problems.length > 0) return { ok: false, problems: privacy.problems };
  return { ok: true, definition: task, warnings: privacy.warnings };
}

/** The problems as lines for a terminal: `- rounds: Must be at least 1.` */
export function describeTaskProblems(problems: readonly TaskProblem[]): string {
  return problems.map((p) => `- ${p.path || 'task'}: ${p.message}`).join('\n');
}

/**
 * The task's differential-privacy budget runs out before its last round (the same accountant the hub
 * uses to stop a task, shared/federation/privacy-accounting.ts): say after how many it stops.
 */
export function privacyBudgetWarning(task: TaskDefinition): string | null {
  const dp = task.privacy.differentialPrivacy;
  if (!dp) return null;
  const allowed = privacySpentAfter(task, 0).roundsAllowed;
  if (!Number.isFinite(allowed) || allowed >= task.rounds) return null;
  return (
    `The privacy budget ε=${formatEpsilon(dp.budget.epsilon)} is spent after about ${allowed} of ${task.rounds} rounds; ` +
    'the task will stop there. For more rounds raise the noise multiplier or the budget, or plan fewer rounds.'
  );
}

function plainProblem(issue: z.core.$ZodIssue, input: unknown): TaskProblem {
  const path = issue.path.map(String).join('.');
  return { path, message: plainMessage(issue, valueAt(input, issue.path)) };
}

/** What the input held at a path (zod does not keep it in its issues). */
function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

/** Zod's issue in words a coordinator reads beside a field: what to enter, not what the parser saw. */
function plainMessage(issue: z.core.$ZodIssue, given: unknown): string {
  switch (issue.code) {
    case 'invalid_type':
      if (given === undefined || given === null || given === '') return 'This is required.';
      if (issue.expected === 'number' || issue.expected === 'int') return 'Enter a number.';
      if (issue.expected === 'array') return 'Enter a list.';
      return `Enter a ${issue.expected}.`;
    case 'too_small':
      if (issue.origin === 'array' || issue.origin === 'set') return `Give at least ${issue.minimum}.`;
      if (issue.origin === 'string')
        return issue.minimum === 1 ? 'This is required.' : `Use at least ${issue.minimum} characters.`;
      return issue.inclusive === false
        ? `Must be more than ${issue.minimum}.`
        : `Must be at least ${issue.minimum}.`;
    case 'too_big':
      if (issue.origin === 'array' || issue.origin === 'set') return `Give at most ${issue.maximum}.`;
      if (issue.origin === 'string') return `Use at most ${issue.maximum} characters.`;
      return issue.inclusive === false
        ? `Must be less than ${issue.maximum}.`
        : `Must be at most ${issue.maximum}.`;
    case 'not_multiple_of':
      return 'Enter a whole number.';
    case 'invalid_value':
      return `Choose one of: ${issue.values.map(String).join(', ')}.`;
    case 'invalid_union':
      return 'This is not one of the choices; choose again.';
    case 'unrecognized_keys':
      return `Unknown setting${issue.keys.length === 1 ? '' : 's'}: ${issue.keys.join(', ')}.`;
    default:
      return issue.message;
  }
}
