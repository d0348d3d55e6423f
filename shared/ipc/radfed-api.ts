// The one object the renderer talks to the agent through: `window.radfed` from the Electron preload,
// or the web bridge's object in the local web UI. Both build it here from a plain `invoke`, so the
// two transports cannot drift apart.
import { IpcChannel, type IpcChannelName, type IpcRequest, type IpcResponse } from './channels.ts';
import { isIpcResult, type IpcErrorCode, type IpcResult } from './result.ts';
import type { SiteStatus } from './site-status.ts';

export interface RadfedApi {
  readonly site: {
    /** Counts and settings of this site. */
    status(): Promise<SiteStatus>;
  };
}

/** Sends one request over a transport and resolves with the envelope the other side answered. */
export type IpcInvoke = (channel: IpcChannelName, payload: unknown) => Promise<unknown>;

/** What an API call throws when the agent answers `ok: false`: `message` is a sentence for a person. */
export class RadfedApiError extends Error {
  constructor(
    readonly code: IpcErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'RadfedApiError';
  }
}

export function createRadfedApi(invoke: IpcInvoke): RadfedApi {
  async function call<C extends IpcChannelName>(channel: C, payload: IpcRequest<C>): Promise<IpcResponse<C>> {
    const answer: unknown = await invoke(channel, payload);
    if (!isIpcResult(answer)) {
      throw new RadfedApiError(
        'bad-response',
        'The site agent gave an answer this screen cannot read. Restart RadFed; if it happens again, check that the app and the agent are the same version.',
      );
    }
    const result = answer as IpcResult<IpcResponse<C>>;
    if (!result.ok) throw new RadfedApiError(result.error.code, result.error.message);
    return result.value;
  }

  return Object.freeze({
    site: Object.freeze({
      status: () => call(IpcChannel.siteStatus, undefined),
    }),
  });
}
