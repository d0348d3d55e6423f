// What the setup wizard asks of the agent and learns from it (channels setup:*). Settings and sentences
// only; the enrollment token travels once, in setup:check-hub and setup:finish, and is never sent back.
import { z } from 'zod';
import {
  AE_TITLE_CHARACTERS,
  AE_TITLE_MAX_LENGTH,
  CONSENT_SCOPE_MAX_LENGTH,
  OPERATOR_NAME_MAX_LENGTH,
} from '../site-rules.ts';
import { consentPolicyViewSchema } from './site-status.ts';

const aeTitle = z
  .string()
  .trim()
  .min(1)
  .max(AE_TITLE_MAX_LENGTH)
  .regex(AE_TITLE_CHARACTERS, 'an AE title is up to 16 plain characters, without a backslash');

/** Where studies come from. Files can always be imported by hand; these add an automatic way. */
export const studiesSourceSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('folder') }),
  z.strictObject({ kind: z.literal('watch'), folder: z.string().trim().min(1).max(4096) }),
  z.strictObject({
    kind: z.literal('receiver'),
    aeTitle,
    port: z.number().int().min(1).max(65535),
    allowedCallingAeTitles: z.array(aeTitle).min(1).max(50),
  }),
]);
export type StudiesSource = z.infer<typeof studiesSourceSchema>;

export const setupStageSchema = z.enum([
  /** No site in the folder yet: the wizard starts from the first step. */
  'new',
  /** A site exists but has no hub: the wizard continues at enrollment. */
  'not-enrolled',
  /** A site enrolled with a hub: the app opens on the dashboard. */
  'enrolled',
]);
export type SetupStage = z.infer<typeof setupStageSchema>;

export const setupStateSchema = z.object({
  stage: setupStageSchema,
  /** Absolute path of the site folder. */
  directory: z.string(),
  /** The site's current settings, to pre-fill the wizard; null before the site exists. */
  site: z
    .object({
      name: z.string(),
      consentPolicy: consentPolicyViewSchema,
      /** What the consent covers, as the consent form says; null: every use. */
      consentScope: z.string().nullable(),
      deidOptions: z.array(z.string()),
      studies: studiesSourceSchema,
      /** True once studies were imported: the de-identification options can no longer change. */
      hasStudies: z.boolean(),
    })
    .nullable(),
  hub: z.object({ url: z.string(), name: z.string(), siteName: z.string() }).nullable(),
  /** True when hospital IT preset the setup (docs/settings.md): the wizard is skipped. */
  preset: z.boolean(),
  /** This computer's network addresses (not loopback), for IT configuring the PACS to send here. */
  networkAddresses: z.array(z.string()),
});
export type SetupState = z.infer<typeof setupStateSchema>;

export const hubCheckRequestSchema = z.strictObject({
  /** The hub's address; default: the one the token carries. */
  url: z.string().trim().min(1).max(500).optional(),
  token: z.string().trim().min(1).max(4000),
  /** The name the site will enroll under: the hub says whether the token allows it. */
  siteName: z.string().trim().min(1).max(400).optional(),
});
export type HubCheckRequest = z.infer<typeof hubCheckRequestSchema>;

export const hubCheckResultSchema = z.object({
  hubUrl: z.string(),
  hubName: z.string(),
  /** The HTTPS proxy the site goes through, or null. */
  viaProxy: z.string().nullable(),
  /** When the token stops working (ISO time), as the hub said; null when the hub could not be asked. */
  expiresAt: z.string().nullable(),
  /** What was checked, in words. */
  sentence: z.string(),
});
export type HubCheckResult = z.infer<typeof hubCheckResultSchema>;

export const setupRequestSchema = z.strictObject({
  siteName: z.string().trim().min(1).max(200),
  /** Null: enroll later (the site works alone until then). */
  hub: hubCheckRequestSchema.nullable(),
  studies: studiesSourceSchema,
  consentPolicy: z.enum(['opt-in', 'opt-out']),
  consentScope: z.string().trim().min(1).max(CONSENT_SCOPE_MAX_LENGTH).optional(),
  deidOptions: z.array(z.string().trim().min(1).max(100)).max(20),
  /** The operator's name, recorded with every audit entry made from the screens. */
  operatorName: z.string().trim().min(1).max(OPERATOR_NAME_MAX_LENGTH).optional(),
});
export type SetupRequest = z.infer<typeof setupRequestSchema>;

export const setupResultSchema = z.object({
  state: setupStateSchema,
  /** Sentences about what was done, for the wizard's last screen. */
  done: z.array(z.string()),
});
export type SetupResult = z.infer<typeof setupResultSchema>;

export const deviceReportSchema = z.object({
  /** tensorflow, webgpu, wasm or cpu. */
  backend: z.string(),
  /** "CPU via WebAssembly (SIMD, 2 threads)", "NVIDIA H200 via WebGPU (Vulkan)". */
  device: z.string(),
  /** Each faster backend that was not used, with the reason. */
  notUsed: z.array(z.object({ backend: z.string(), reason: z.string() })),
});
export type DeviceReport = z.infer<typeof deviceReportSchema>;
