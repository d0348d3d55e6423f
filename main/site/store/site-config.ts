// site.json: what a site is set up to do. Written once by `radfed site init`; later issues add fields
// (consent policy choice, hub enrollment) by raising `schemaVersion` and migrating old files on open.
import { writeFileAtomically } from '../../../shared/node/index.ts';
import { z } from 'zod';
import { splitLeakageLimitsSchema } from '../../../shared/federation/split/index.ts';
import {
  AE_TITLE_CHARACTERS,
  AE_TITLE_MAX_LENGTH,
  CONSENT_SCOPE_MAX_LENGTH,
  OPERATOR_NAME_MAX_LENGTH,
} from '../../../shared/site-rules.ts';

export const SITE_CONFIG_VERSION = 1;

/** An AE title (PS3.5 6.2, VR AE): 1 to 16 characters of ASCII, no backslash; outer spaces don't count. */
export const AeTitleSchema = z
  .string()
  .trim()
  .min(1, 'an AE title cannot be empty')
  .max(AE_TITLE_MAX_LENGTH, 'an AE title has at most 16 characters')
  .regex(
    AE_TITLE_CHARACTERS,
    'an AE title is plain ASCII letters, digits and punctuation, without a backslash',
  );

/** The DICOM receiver (main/site/receiver), started by `radfed site run` when set. */
export const ReceiverSettingsSchema = z.object({
  /** The address to listen on: 0.0.0.0 (every interface, the default) or one of this machine's. */
  host: z.string().min(1).max(255).default('0.0.0.0'),
  port: z.number().int().min(1).max(65535),
  /** Our AE title: the called AE title a sender must use. */
  aeTitle: AeTitleSchema,
  /** Calling AE titles allowed to send (the PACS, modalities); any other is refused at association. */
  allowedCallingAeTitles: z.array(AeTitleSchema).min(1, 'allow at least one calling AE title'),
});

/** The watched folder (main/site/watch), started by `radfed site run` when set. */
export const WatchSettingsSchema = z.object({
  /** Absolute path of the folder; files dropped in are ingested, then removed from it. */
  folder: z.string().min(1),
  /** How long a file must stay unchanged (size and time) before it is taken as complete. */
  settleSeconds: z.number().min(0.1).max(3600).default(5),
});

export type ReceiverSettings = z.infer<typeof ReceiverSettingsSchema>;
export type WatchSettings = z.infer<typeof WatchSettingsSchema>;

export const SiteConfigSchema = z.object({
  schemaVersion: z.literal(SITE_CONFIG_VERSION),
  name: z.string().min(1).max(200),
  /** PS3.15 option names (kebab-case) applied on ingest, as accepted by deid's parseDeidOptions. */
  deidOptions: z.array(z.string()),
  /**
   * Chosen explicitly at set-up (main/site/consent): 'opt-in' uses only patients who granted consent,
   * 'opt-out' all but those who refused or withdrew. 'not-set' marks a site made before the choice
   * existed; it honours every refusal and withdrawal, as opt-out does.
   */
  consentPolicy: z.enum(['opt-in', 'opt-out', 'not-set']),
  /** The research this site's consent covers (e.g. "chest imaging research"); absent: every use. */
  consentScope: z.string().trim().min(1).max(CONSENT_SCOPE_MAX_LENGTH).optional(),
  /** The person who set the site up, named in the audit log's entries from the screens (audit-actor.ts). */
  operatorName: z.string().trim().min(1).max(OPERATOR_NAME_MAX_LENGTH).optional(),
  createdAt: z.string(),
  /**
   * What ingest does with an image held for text in the picture (main/site/held): hold it for a
   * person (absent: the default), clean it and release what reads clean, or clean it and still ask.
   */
  heldFilePolicy: z.enum(['hold', 'clean-automatically', 'clean-and-ask']).optional(),
  receiver: ReceiverSettingsSchema.optional(),
  watch: WatchSettingsSchema.optional(),
  /**
   * How much a split-learning cut may leak before this site refuses to approve it (the leakage meter's
   * SSIM of rebuilt images, AUC of labels read from gradients); absent: no limit (a
   * limit of 1 refuses nothing either), as the approval reads it.
   */
  splitLeakageLimits: splitLeakageLimitsSchema.optional(),
});

export type SiteConfig = z.infer<typeof SiteConfigSchema>;

/** Writes site.json atomically (shared/node/atomic-file.ts), after checking it. */
export function writeSiteConfig(configPath: string, config: SiteConfig): void {
  const checked = SiteConfigSchema.parse(config);
  writeFileAtomically(configPath, `${JSON.stringify(checked, null, 2)}\n`, { mode: 0o644 });
}
