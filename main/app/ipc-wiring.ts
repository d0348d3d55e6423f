// Binds every channel of the IPC contract to ipcMain.handle. Each call goes through the sender check
// here, then the shared dispatcher (schema validation, envelope, no stack traces).
import { ipcMain, type IpcMainInvokeEvent } from 'electron';
import { IPC_CHANNEL_NAMES, ipcFail } from '../../shared/ipc/index.ts';
import type { IpcDispatch } from '../site/console/index.ts';
import { isAppPageUrl } from './app-protocol.ts';

export function registerIpcHandlers(dispatch: IpcDispatch): () => void {
  for (const channel of IPC_CHANNEL_NAMES) {
    ipcMain.handle(channel, (event: IpcMainInvokeEvent, payload: unknown) => {
      if (!isTrustedSender(event)) {
        return ipcFail(
          'forbidden-sender',
          'This request did not come from the RadFed window and was refused.',
        );
      }
      return dispatch(channel, payload);
    });
  }
  return () => IPC_CHANNEL_NAMES.forEach((channel) => ipcMain.removeHandler(channel));
}

function isTrustedSender(event: IpcMainInvokeEvent): boolean {
  const frame = event.senderFrame;
  return frame !== null && frame.parent === null && isAppPageUrl(frame.url);
}
