// Which events deserve a desktop notification. Sparingly: a task waiting for approval (once per task),
// a round finished (at most one per task in ROUND_NOTICE_GAP_MS, and always the task's end), and an
// error that needs a person (the same sentence at most once in PROBLEM_REPEAT_MS). Retries the agent
// handles itself never notify. Plain data in and out; notifier.ts makes the Electron call.
import type { TrayInput } from './tray-state.ts';

export interface DesktopNotice {
  readonly title: string;
  readonly body: string;
  /** What a click opens (the renderer route). */
  readonly page: 'training' | 'dashboard';
}

export const ROUND_NOTICE_GAP_MS = 10 * 60_000;
export const PROBLEM_REPEAT_MS = 30 * 60_000;

export class NotificationPolicy {
  readonly #announcedTasks = new Set<string>();
  readonly #lastRoundNotice = new Map<string, number>();
  readonly #lastProblem = new Map<string, number>();
  readonly #taskNames = new Map<string, string>();

  constructor(
    private readonly enabled: () => boolean,
    private readonly now: () => number = Date.now,
  ) {}

  /** The notices one input calls for (usually none). */
  decide(input: TrayInput): DesktopNotice[] {
    if (input.type === 'task-started') this.#taskNames.set(input.taskId, input.name);
    const notices = this.#noticesFor(input);
    return this.enabled() ? notices : [];
  }

  #noticesFor(input: TrayInput): DesktopNotice[] {
    switch (input.type) {
      case 'approvals': {
        const fresh = input.waiting.filter((task) => !this.#announcedTasks.has(task.taskId));
        for (const task of input.waiting) this.#announcedTasks.add(task.taskId);
        if (fresh.length === 0) return [];
        return [
          {
            title: 'A task is waiting for your approval',
            body:
              fresh.length === 1
                ? `"${fresh[0]?.name}": read what it trains and what leaves the site, then approve or decline it.`
                : `${fresh.length} new tasks: read what each trains and what leaves the site, then approve or decline them.`,
            page: 'training',
          },
        ];
      }
      case 'round-published': {
        const last = this.#lastRoundNotice.get(input.taskId);
        if (last !== undefined && this.now() - last < ROUND_NOTICE_GAP_MS) return [];
        this.#lastRoundNotice.set(input.taskId, this.now());
        return [
          {
            title: `Round ${input.round} finished`,
            body: `${this.#taskName(input.taskId)}: global model version ${input.version} is ready.`,
            page: 'training',
          },
        ];
      }
      case 'task-ended':
        return [
          {
            title: 'Task finished',
            body: `${this.#taskName(input.taskId)} is ${input.state}${input.reason ? `: ${input.reason}` : '.'}`,
            page: 'training',
          },
        ];
      case 'problem':
      case 'app-problem':
        return input.message === null ? [] : this.#problem(input.message);
      case 'refused':
        return this.#problem(`The hub refused this site's round ${input.round} update: ${input.reason}`);
      default:
        return [];
    }
  }

  #problem(message: string): DesktopNotice[] {
    const last = this.#lastProblem.get(message);
    if (last !== undefined && this.now() - last < PROBLEM_REPEAT_MS) return [];
    this.#lastProblem.set(message, this.now());
    return [{ title: 'RadFed needs your attention', body: message, page: 'dashboard' }];
  }

  #taskName(taskId: string): string {
    const name = this.#taskNames.get(taskId);
    return name ? `Task "${name}"` : `Task ${taskId}`;
  }
}
