// Joins the tray state and the notification policy: every input updates the icon and may raise a
// notice. The Electron calls are passed in, so this runs (and is tested) without Electron.
import {
  deriveSiteActivity,
  type FederationProgress,
  type FederationTaskItem,
} from '../../../shared/ipc/index.ts';
import { NotificationPolicy, type DesktopNotice } from './notification-policy.ts';
import {
  describeTrayState,
  INITIAL_TRAY_STATE,
  nextTrayState,
  type TrayInput,
  type TrayState,
  type TrayView,
} from './tray-state.ts';

export interface DesktopStatusOutputs {
  render(view: TrayView): void;
  notify(notice: DesktopNotice): void;
  /** Whether notifications are on (the `app.notifications` setting, read each time). */
  notificationsEnabled(): boolean;
  now?: () => number;
}

export class DesktopStatus {
  #state: TrayState = INITIAL_TRAY_STATE;
  readonly #policy: NotificationPolicy;

  constructor(private readonly outputs: DesktopStatusOutputs) {
    this.#policy = new NotificationPolicy(outputs.notificationsEnabled, outputs.now);
    outputs.render(describeTrayState(this.#state));
  }

  get state(): TrayState {
    return this.#state;
  }

  apply(input: TrayInput): void {
    this.#state = nextTrayState(this.#state, input);
    for (const notice of this.#policy.decide(input)) this.outputs.notify(notice);
    this.outputs.render(describeTrayState(this.#state));
  }

  /** What the loop's progress says that its events do not: paused or not, and a failure of the loop itself. */
  applyProgress(progress: FederationProgress): void {
    const paused = progress.pausedByUser;
    if (paused !== this.#state.paused) this.apply({ type: 'paused', paused });
    const activity = deriveSiteActivity(progress);
    if (activity.sentence !== this.#state.activity?.sentence) this.apply({ type: 'activity', activity });
    // The snapshot holds the loop's latest problem: one that passed there has passed here too.
    if (progress.problem !== this.#state.problem) {
      this.apply({ type: 'app-problem', message: progress.problem });
    }
  }
}

/** The hub's tasks still waiting for a decision here: active, neither approved nor declined, approvable. */
export function waitingTasks(items: readonly FederationTaskItem[]): { taskId: string; name: string }[] {
  return items
    .filter((task) => task.state === 'active' && !task.approval && !task.declinedAt && !task.problem)
    .map((task) => ({ taskId: task.id, name: task.name }));
}
