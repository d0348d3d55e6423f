// The tray's state and the notification policy: plain TypeScript, no Electron (app-tray.ts draws them).
export {
  describeTrayState,
  INITIAL_TRAY_STATE,
  nextTrayState,
  TOOLTIP_MAX,
  TRAY_ACTIVITIES,
  type TrayActivity,
  type TrayInput,
  type TrayState,
  type TrayView,
} from './tray-state.ts';
export {
  NotificationPolicy,
  PROBLEM_REPEAT_MS,
  ROUND_NOTICE_GAP_MS,
  type DesktopNotice,
} from './notification-policy.ts';
export { drawStateIcon, encodeIco, encodePng, stateIconPng } from './tray-icons.ts';
export { DesktopStatus, waitingTasks } from './desktop-status.ts';
