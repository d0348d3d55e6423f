// The one object the renderer talks to the agent through: `window.radfed` from the Electron preload,
// or the web bridge's object in the local web UI. Both build it here from a plain `invoke`, so the
// two transports cannot drift apart. Its shape, type and object alike, is read off the contract's
// table (channels.ts): each channel's `api` names its method and `args` how the arguments make the
// request.
import type { z } from 'zod';
import { RadfedError } from '../errors.ts';
import {
  ipcContract,
  type IpcChannelName,
  type IpcChannelSpec,
  type IpcContract,
  type IpcResponse,
} from './channels.ts';
import { isIpcResult, type IpcErrorCode, type IpcResult } from './result.ts';

type ApiPath<C extends IpcChannelName> = IpcContract[C]['api'];
type ApiDomain =
  ApiPath<IpcChannelName> extends infer P ? (P extends `${infer D}.${string}` ? D : never) : never;

/** A method's parameters: none, the whole request, or the named fields of the request in order. */
type FieldParams<R, A extends readonly string[]> = { -readonly [I in keyof A]: R[A[I] & keyof R] };
type ApiParams<S extends IpcChannelSpec> = S extends { args: 'request' }
  ? [request: z.input<S['request']>]
  : S extends { args: infer A extends readonly string[] }
    ? // Fields that may all be left out make optional parameters: listFolders() lists the home folder.
      object extends Pick<z.input<S['request']>, A[number] & keyof z.input<S['request']>>
      ? Partial<FieldParams<z.input<S['request']>, A>>
      : FieldParams<z.input<S['request']>, A>
    : [];

export type RadfedApi = {
  readonly [D in ApiDomain]: {
    readonly [C in IpcChannelName as ApiPath<C> extends `${D}.${infer M}` ? M : never]: (
      ...args: ApiParams<IpcContract[C]>
    ) => Promise<IpcResponse<C>>;
  };
};

/** Sends one request over a transport and resolves with the envelope the other side answered. */
export type IpcInvoke = (channel: IpcChannelName, payload: unknown) => Promise<unknown>;

/** What an API call throws when the agent answers `ok: false`: `message` is a sentence for a person. */
export class RadfedApiError extends RadfedError<IpcErrorCode> {
  override readonly name: string = 'RadfedApiError';
}

/** The request a method's arguments make, by the channel's `args`. */
function requestFrom(spec: IpcChannelSpec, values: unknown[]): unknown {
  if (spec.args === undefined) return undefined;
  if (spec.args === 'request') return values[0];
  const request: Record<string, unknown> = {};
  spec.args.forEach((field, index) => {
    if (values[index] !== undefined) request[field] = values[index];
  });
  return request;
}

export function createRadfedApi(invoke: IpcInvoke): RadfedApi {
  async function call(channel: IpcChannelName, payload: unknown): Promise<unknown> {
    const answer: unknown = await invoke(channel, payload);
    if (!isIpcResult(answer)) {
      throw new RadfedApiError(
        'bad-response',
        'The site agent gave an answer this screen cannot read. Restart RadFed; if it happens again, check that the app and the agent are the same version.',
      );
    }
    const result = answer as IpcResult<unknown>;
    if (!result.ok) throw new RadfedApiError(result.error.code, result.error.message);
    return result.value;
  }

  const domains: Record<string, Record<string, (...values: unknown[]) => Promise<unknown>>> = {};
  for (const [channel, spec] of Object.entries(ipcContract) as [IpcChannelName, IpcChannelSpec][]) {
    const [domain, method] = spec.api.split('.') as [string, string];
    (domains[domain] ??= {})[method] = (...values) => call(channel, requestFrom(spec, values));
  }
  for (const methods of Object.values(domains)) Object.freeze(methods);
  return Object.freeze(domains) as unknown as RadfedApi;
}
