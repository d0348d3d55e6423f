// The Electron side of the tray and notifications, kept thin: what to show and when is decided in
// tray/ (plain, unit-tested TypeScript); this only draws it.
import { Menu, nativeImage, Notification, Tray, type NativeImage } from 'electron';
import {
  stateIconPng,
  TRAY_ACTIVITIES,
  type DesktopNotice,
  type TrayActivity,
  type TrayView,
} from './tray/index.ts';

export interface TrayActions {
  open(route?: string): void;
  togglePause(): void;
  quit(): void;
}

export class AppTray {
  readonly #tray: Tray;
  readonly #icons: Map<TrayActivity, NativeImage>;
  #shown: string | null = null;

  constructor(private readonly actions: TrayActions) {
    // 32 px drawn at scale 2: a sharp 16-point icon on high-density screens.
    this.#icons = new Map(
      TRAY_ACTIVITIES.map((activity) => [
        activity,
        nativeImage.createFromBuffer(stateIconPng(activity, 32), { scaleFactor: 2 }),
      ]),
    );
    this.#tray = new Tray(this.#icon('idle'));
    this.#tray.on('click', () => actions.open());
  }

  render(view: TrayView): void {
    const key = `${view.activity}\n${view.tooltip}\n${view.pauseLabel}`;
    if (key === this.#shown) return;
    this.#shown = key;
    this.#tray.setImage(this.#icon(view.activity));
    this.#tray.setToolTip(view.tooltip);
    this.#tray.setContextMenu(
      Menu.buildFromTemplate([
        { label: view.lines[0] ?? 'RadFed', enabled: false },
        { type: 'separator' },
        { label: 'Open RadFed', click: () => this.actions.open() },
        {
          label: view.pauseLabel === 'Pause' ? 'Pause federation' : 'Resume federation',
          click: () => this.actions.togglePause(),
        },
        { type: 'separator' },
        { label: 'Quit RadFed', click: () => this.actions.quit() },
      ]),
    );
  }

  notify(notice: DesktopNotice): void {
    if (!Notification.isSupported()) return;
    const notification = new Notification({ title: notice.title, body: notice.body, silent: false });
    notification.on('click', () => this.actions.open(notice.page));
    notification.show();
  }

  destroy(): void {
    this.#tray.destroy();
  }

  #icon(activity: TrayActivity): NativeImage {
    return this.#icons.get(activity) ?? nativeImage.createEmpty();
  }
}
