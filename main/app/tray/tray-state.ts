// What the tray icon shows, as plain data: the agent's events in, one state a person can read at a
// glance out (an icon and a tooltip in words). No Electron here; tray.ts draws it.
import type { SiteActivity } from '../../../shared/ipc/index.ts';
import type { SyncEvent } from '../../site/federation/index.ts';

/** The icon's states, the most urgent first: when several hold, the tray shows the first. */
export const TRAY_ACTIVITIES = [
  'error',
  'waiting-for-approval',
  'training',
  'uploading',
  'ingesting',
  'idle',
] as const;
export type TrayActivity = (typeof TRAY_ACTIVITIES)[number];

/** Inputs beside the federation loop's own events. */
export type TrayInput =
  | SyncEvent
  /** Studies arriving (import, watched folder, DICOM receiver); `done`/`total` when known. */
  | { type: 'ingest'; active: boolean; done?: number; total?: number }
  /** The hub's tasks this site has neither approved nor declined. */
  | { type: 'approvals'; waiting: readonly { taskId: string; name: string }[] }
  | { type: 'paused'; paused: boolean }
  /** A problem outside the loop (the agent could not start, the hub could not be reached), or null when it passed. */
  | { type: 'app-problem'; message: string | null }
  /** The site's one status (shared/ipc/site-activity.ts), the same sentence the dashboard shows. */
  | { type: 'activity'; activity: SiteActivity };

type TaskPhase =
  | { kind: 'training'; round: number; epoch: number; epochs: number }
  | { kind: 'uploading'; round: number; percent: number };

export interface TrayState {
  readonly paused: boolean;
  readonly problem: string | null;
  readonly ingest: { done?: number; total?: number } | null;
  readonly waiting: readonly { taskId: string; name: string }[];
  readonly tasks: ReadonlyMap<string, TaskPhase>;
  /** The site's status from the agent's facts; when known, it is the tray's status line. */
  readonly activity: SiteActivity | null;
}

export const INITIAL_TRAY_STATE: TrayState = {
  paused: false,
  problem: null,
  ingest: null,
  waiting: [],
  tasks: new Map(),
  activity: null,
};

/** The next state after one input; the old state is left as it was. */
export function nextTrayState(state: TrayState, input: TrayInput): TrayState {
  switch (input.type) {
    case 'ingest':
      return {
        ...state,
        ingest: input.active
          ? {
              ...(input.done === undefined ? {} : { done: input.done }),
              ...(input.total === undefined ? {} : { total: input.total }),
            }
          : null,
      };
    case 'approvals':
      return { ...state, waiting: [...input.waiting] };
    case 'paused':
      return { ...state, paused: input.paused, ...(input.paused ? { tasks: new Map() } : {}) };
    case 'app-problem':
      return { ...state, problem: input.message };
    case 'activity':
      return { ...state, activity: input.activity };
    case 'problem':
      return { ...state, problem: input.message };
    case 'training':
      return withTask(state, input.taskId, {
        kind: 'training',
        round: input.round,
        epoch: input.epoch,
        epochs: input.epochs,
      });
    case 'round-started':
      return withTask(state, input.taskId, { kind: 'training', round: input.round, epoch: 0, epochs: 0 });
    case 'uploading':
      return withTask(state, input.taskId, {
        kind: 'uploading',
        round: input.round,
        percent: input.totalBytes > 0 ? Math.floor((100 * input.sentBytes) / input.totalBytes) : 0,
      });
    case 'submitted':
    case 'refused':
    case 'missed':
    case 'round-published':
    case 'task-ended':
      return withTask(state, input.taskId, null);
    default:
      return state;
  }
}

function withTask(state: TrayState, taskId: string, phase: TaskPhase | null): TrayState {
  const tasks = new Map(state.tasks);
  if (phase) tasks.set(taskId, phase);
  else tasks.delete(taskId);
  // Work moving forward again means the last problem has passed.
  const problem = phase ? null : state.problem;
  return { ...state, tasks, problem };
}

export interface TrayView {
  readonly activity: TrayActivity;
  /** Lines in words, most important first; the tooltip joins them. */
  readonly lines: readonly string[];
  readonly tooltip: string;
  /** The menu's pause/resume item. */
  readonly pauseLabel: 'Pause' | 'Resume';
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/** The icon and the words for a state. Only counts, rounds and task names: nothing about a patient. */
export function describeTrayState(state: TrayState): TrayView {
  const lines: string[] = [];
  const active: TrayActivity[] = [];
  // Said once: the status line already carries a problem from the loop.
  if (state.problem && !state.activity?.sentence.includes(state.problem)) {
    active.push('error');
    lines.push(`Needs attention: ${state.problem}`);
  }
  if (state.waiting.length > 0) {
    active.push('waiting-for-approval');
    lines.push(
      state.waiting.length === 1
        ? `Task "${state.waiting[0]?.name}" is waiting for your approval.`
        : `${plural(state.waiting.length, 'task is', 'tasks are')} waiting for your approval.`,
    );
  }
  // The status model's sentence, when known, replaces the per-event lines, so the tray says what the
  // dashboard and the Training page say.
  const status = state.activity;
  if (status) {
    if (status.state === 'training') active.push('training');
    if (status.state === 'uploading') active.push('uploading');
    if (status.tone === 'attention' && status.state !== 'paused') active.push('error');
    lines.push(status.sentence);
  }
  for (const phase of status ? [] : state.tasks.values()) {
    if (phase.kind === 'training') {
      active.push('training');
      lines.push(
        phase.epochs > 0
          ? `Training round ${phase.round} (epoch ${Math.min(phase.epoch + 1, phase.epochs)} of ${phase.epochs}).`
          : `Training round ${phase.round}.`,
      );
    } else {
      active.push('uploading');
      lines.push(`Sending the round ${phase.round} update to the hub (${phase.percent}%).`);
    }
  }
  if (state.ingest) {
    active.push('ingesting');
    const { done, total } = state.ingest;
    lines.push(
      done !== undefined && total !== undefined
        ? `Receiving and de-identifying studies (${done} of ${plural(total, 'file', 'files')}).`
        : 'Receiving and de-identifying studies.',
    );
  }
  if (state.paused && !status) lines.push('Federation paused: no training or uploads until you resume.');
  if (lines.length === 0) lines.push('Idle: nothing to do right now.');
  const activity = TRAY_ACTIVITIES.find((candidate) => active.includes(candidate)) ?? 'idle';
  return {
    activity,
    lines,
    tooltip: fitTooltip(['RadFed', ...lines].join('\n')),
    pauseLabel: state.paused ? 'Resume' : 'Pause',
  };
}

/** Windows cuts a tray tooltip at 127 characters; cut it ourselves, visibly. */
export const TOOLTIP_MAX = 127;

function fitTooltip(text: string): string {
  return text.length <= TOOLTIP_MAX ? text : `${text.slice(0, TOOLTIP_MAX - 1)}\u2026`;
}
