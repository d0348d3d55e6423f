// Request payload schemas, one per channel. The handler wrapper validates every payload against these
// before a handler sees it: the renderer is treated as untrusted input.
import { z } from 'zod';
import type { IpcChannelName, IpcRequest } from './channels.ts';

// Built inside a pure call so that the renderer bundle, which imports this door only for the API
// builder, leaves zod out (bundlers drop an unused `/* @__PURE__ */` call).
export const ipcRequestSchemas: { readonly [C in IpcChannelName]: z.ZodType<IpcRequest<C>> } =
  /* @__PURE__ */ (() =>
    Object.freeze({
      'site:status': z.undefined(),
    }))();
