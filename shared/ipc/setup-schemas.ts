// Request schemas of the setup and federation channels, built on demand (see schemas.ts: the renderer
// bundle must not pull zod in through the door).
import { z } from 'zod';

const aeTitle = z
  .string()
  .trim()
  .min(1)
  .max(16)
  .regex(/^[\x20-\x5b\x5d-\x7e]+$/, 'an AE title is up to 16 plain characters, without a backslash');

const hubCheck = z.strictObject({
  url: z.string().trim().min(1).max(500).optional(),
  token: z.string().trim().min(1).max(4000),
  siteName: z.string().trim().min(1).max(400).optional(),
});

const studies = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('folder') }),
  z.strictObject({ kind: z.literal('watch'), folder: z.string().trim().min(1).max(4096) }),
  z.strictObject({
    kind: z.literal('receiver'),
    aeTitle,
    port: z.number().int().min(1).max(65535),
    allowedCallingAeTitles: z.array(aeTitle).min(1).max(50),
  }),
]);

const taskId = z.strictObject({ taskId: z.string().trim().min(1).max(200) });

export function setupAndFederationSchemas() {
  return {
    'setup:state': z.undefined(),
    'setup:check-hub': hubCheck,
    'setup:device': z.undefined(),
    'setup:finish': z.strictObject({
      siteName: z.string().trim().min(1).max(200),
      hub: hubCheck.nullable(),
      studies,
      consentPolicy: z.enum(['opt-in', 'opt-out']),
      consentScope: z.string().trim().min(1).max(200).optional(),
      deidOptions: z.array(z.string().trim().min(1).max(100)).max(20),
      operatorName: z.string().trim().min(1).max(100).optional(),
    }),
    'federation:tasks': z.undefined(),
    'federation:approve': taskId,
    'federation:decline': taskId,
    'federation:progress': z.undefined(),
    'federation:set-running': z.strictObject({ running: z.boolean() }),
  } as const;
}
