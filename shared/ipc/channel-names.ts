// The channel names, read off the contract's table (channels.ts): the list the shells register and
// the dispatcher checks, and a constant per channel for code that names one.
import { ipcContract, type IpcChannelName } from './channels.ts';

export const IPC_CHANNEL_NAMES: readonly IpcChannelName[] = Object.freeze(
  Object.keys(ipcContract) as IpcChannelName[],
);

export function isIpcChannelName(value: unknown): value is IpcChannelName {
  return typeof value === 'string' && Object.hasOwn(ipcContract, value);
}

// 'studies:import-start' → 'studiesImportStart': the constants tests and handlers name channels by.
type CamelCase<S extends string> = S extends `${infer Head}-${infer Tail}`
  ? `${Head}${Capitalize<CamelCase<Tail>>}`
  : S;
type ChannelConstant<C extends string> = C extends `${infer Domain}:${infer Action}`
  ? `${Domain}${Capitalize<CamelCase<Action>>}`
  : never;

function channelConstant(name: string): string {
  return name.replace(/[:-]([a-z])/g, (_, letter: string) => letter.toUpperCase());
}

/** Channel names by a constant, `domain:action` → `domainAction`. */
export const IpcChannel = Object.freeze(
  Object.fromEntries(IPC_CHANNEL_NAMES.map((name) => [channelConstant(name), name])),
) as { readonly [C in IpcChannelName as ChannelConstant<C>]: C };
