// What the site agent reports about itself: shown on the dashboard, the tray and `radfed site status`.
// Counts only; never a patient identifier.
import { z } from 'zod';

export const consentPolicyViewSchema = z.enum(['opt-in', 'opt-out', 'not-set']);

export const siteStatusSchema = z.object({
  siteName: z.string(),
  /** Absolute path of the site folder. */
  directory: z.string(),
  consentPolicy: consentPolicyViewSchema,
  /** The de-identification options this site applies on ingest (PS3.15 option names, kebab-case). */
  deidOptions: z.array(z.string()),
  counts: z.object({
    patients: z.number(),
    studies: z.number(),
    series: z.number(),
    instances: z.number(),
    /** Files kept in quarantine because releasing them could expose a patient (burned-in text, a verification hit). */
    held: z.number(),
    /** Files that could not be read as DICOM. */
    rejected: z.number(),
  }),
  /** ISO time of the last completed ingest, or null. */
  lastIngestAt: z.string().nullable(),
});
export type SiteStatus = z.infer<typeof siteStatusSchema>;

/** The DICOM receiver and the watched folder the session runs (site.json), with counts since start. */
export const studySourcesViewSchema = z.object({
  receiver: z
    .object({
      aeTitle: z.string(),
      port: z.number(),
      allowedCallingAeTitles: z.array(z.string()),
      received: z.number(),
      refused: z.number(),
      ingested: z.number(),
      waiting: z.number(),
    })
    .nullable(),
  watch: z.object({ folder: z.string(), ingested: z.number() }).nullable(),
  /** Whether they are running now (false: not set up, stopped, or failed to start: see `problem`). */
  running: z.boolean(),
  /** The latest event in words (a refusal, a finished ingest, a warning). */
  lastEvent: z.string().nullable(),
  /** Why they could not start (port in use, folder missing), in words; null when none. */
  problem: z.string().nullable(),
});
export type StudySourcesView = z.infer<typeof studySourcesViewSchema>;
