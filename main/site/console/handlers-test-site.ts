// For the handler specs: a real site in a temp folder with its real agent, and the real dispatcher
// (schemas included) in front of the real handlers. Every answer is also checked against its channel's
// response schema, so the handler specs prove the contract's table describes what the agent sends.
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import {
  ipcContract,
  IpcChannel,
  type IpcChannelName,
  type IpcRequest,
  type IpcResponse,
} from '../../../shared/ipc/index.ts';
import { silentLogger } from '../../../shared/node/index.ts';
import { SiteAgent } from '../agent.ts';
import { initSite } from '../store/index.ts';
import { createIpcDispatcher, createIpcHandlers } from './ipc-handlers.ts';

export const PYDICOM_FILES = '/usr/lib/python3/dist-packages/pydicom/data/test_files';
export const CT_SMALL = join(PYDICOM_FILES, 'CT_small.dcm');
export const MR_SMALL = join(PYDICOM_FILES, 'MR_small.dcm');
/** A secondary capture: held back for burned-in text. */
export const SC_SMALL = join(PYDICOM_FILES, 'SC_rgb_small_odd.dcm');

export interface HandlersTestSite {
  root: string;
  agent: SiteAgent;
  /** Calls a channel through the dispatcher; resolves with the value or rejects with the error envelope. */
  call<C extends IpcChannelName>(channel: C, payload: IpcRequest<C>): Promise<IpcResponse<C>>;
  /** The raw envelope, for error cases. */
  raw(channel: string, payload: unknown): Promise<unknown>;
  /** A new folder outside the site holding copies of `files` (and text files), named like a patient. */
  inbox(files: string[], text?: Record<string, string>): string;
  close(): void;
}

export function openHandlersTestSite(
  options: { consentPolicy?: 'opt-in' | 'opt-out' } = {},
): HandlersTestSite {
  const root = mkdtempSync(join(tmpdir(), 'radfed-handlers-'));
  const directory = join(root, 'site');
  initSite(directory, { name: 'Handlers Test Site', deidOptions: [], ...options });
  const agent = SiteAgent.open(directory, { logger: silentLogger() });
  const dispatch = createIpcDispatcher(createIpcHandlers(agent));
  let inboxes = 0;
  return {
    root,
    agent,
    async call(channel, payload) {
      const result = await dispatch(channel, payload);
      if (!result.ok) throw Object.assign(new Error(result.error.message), { code: result.error.code });
      const answer = ipcContract[channel].response.safeParse(result.value);
      if (!answer.success) {
        throw new Error(
          `The answer of ${channel} does not match its response schema: ${answer.error.message}`,
        );
      }
      return result.value as IpcResponse<typeof channel>;
    },
    raw: (channel, payload) => dispatch(channel, payload),
    inbox(files, text = {}) {
      // Folder names can carry patient names: this one does, so tests can check it never comes back.
      const folder = join(root, `DOE^JANE 1234567 inbox ${++inboxes}`);
      mkdirSync(folder, { recursive: true });
      for (const file of files) copyFileSync(file, join(folder, basename(file)));
      for (const [name, content] of Object.entries(text)) writeFileSync(join(folder, name), content);
      return folder;
    },
    close() {
      agent.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** Polls an import until it is no longer running. */
export async function finishedImport(site: HandlersTestSite, importId: string) {
  for (;;) {
    const progress = await site.call(IpcChannel.studiesImportProgress, { importId });
    if (progress.state !== 'running') return progress;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
