// Request payload schemas, one per channel. The handler wrapper validates every payload against these
// before a handler sees it: the renderer is treated as untrusted input.
import { z } from 'zod';
import type { IpcChannelName, IpcRequest } from './channels.ts';
import { cohortSchemas } from './cohort-schemas.ts';
import { firstDaySchemas } from './first-day-schemas.ts';
import { heldSchemas } from './held-schemas.ts';
import { storedStudiesSchemas } from './stored-studies-schemas.ts';
import { setupAndFederationSchemas } from './setup-schemas.ts';

// Built inside a pure call so that the renderer bundle, which imports this door only for the API
// builder, leaves zod out (bundlers drop an unused `/* @__PURE__ */` call).
export const ipcRequestSchemas: { readonly [C in IpcChannelName]: z.ZodType<IpcRequest<C>> } =
  /* @__PURE__ */ (() =>
    Object.freeze({
      'site:status': z.undefined(),
      'site:sources': z.undefined(),
      ...setupAndFederationSchemas(),
      'settings:get': z.undefined(),
      // Values are checked key by key by the settings store, which knows each key's rule.
      'settings:set': z.strictObject({
        changes: z.record(
          z.string().max(100),
          z.union([
            z.string().max(8192),
            z.number(),
            z.boolean(),
            z.array(z.string().max(4096)).max(100),
            z.null(),
          ]),
        ),
      }),
      'studies:import-start': z.strictObject({ folder: z.string().trim().min(1).max(4096) }),
      'studies:import-progress': z.strictObject({ importId: z.string().regex(/^[a-z0-9-]{1,64}$/) }),
      'studies:report': z.undefined(),
      'studies:header': z.discriminatedUnion('kind', [
        z.strictObject({
          kind: z.literal('import'),
          importId: z.string().regex(/^[a-z0-9-]{1,64}$/),
          file: z.number().int().min(1),
        }),
        z.strictObject({ kind: z.literal('held'), heldId: z.number().int().min(1) }),
      ]),
      'consent:list': z.undefined(),
      'consent:history': z.strictObject({ pseudonym: z.string().regex(/^RF[0-9A-F]{16}$/) }),
      // 1 MiB requests at most: about 750 KB of CSV, tens of thousands of rows.
      'consent:import': z.strictObject({ csvBase64: z.base64().min(1) }),
      'consent:withdraw-preview': z.strictObject({ patientId: z.string().trim().min(1).max(64) }),
      'consent:withdraw': z.strictObject({ patientId: z.string().trim().min(1).max(64) }),
      'audit:search': z.strictObject({
        text: z.string().max(200).optional(),
        type: z.string().max(100).optional(),
        since: z.iso.datetime({ offset: true }).optional(),
        until: z.iso.datetime({ offset: true }).optional(),
        page: z.number().int().min(1),
        pageSize: z.number().int().min(1).max(500),
      }),
      'audit:verify': z.undefined(),
      'audit:export-csv': z.undefined(),
      ...cohortSchemas(),
      ...firstDaySchemas(),
      ...heldSchemas(),
      ...storedStudiesSchemas(),
    }))();
