// site.json: what a site is set up to do. Written once by `radfed site init`; later issues add fields
// (consent policy choice, hub enrollment) by raising `schemaVersion` and migrating old files on open.
import { z } from 'zod';

export const SITE_CONFIG_VERSION = 1;

export const SiteConfigSchema = z.object({
  schemaVersion: z.literal(SITE_CONFIG_VERSION),
  name: z.string().min(1).max(200),
  /** PS3.15 option names (kebab-case) applied on ingest, as accepted by deid's parseDeidOptions. */
  deidOptions: z.array(z.string()),
  /** Chosen explicitly at set-up by the consent issue; 'not-set' until then. */
  consentPolicy: z.enum(['opt-in', 'opt-out', 'not-set']),
  createdAt: z.string(),
});

export type SiteConfig = z.infer<typeof SiteConfigSchema>;
