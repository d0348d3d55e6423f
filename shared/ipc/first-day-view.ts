// The dashboard's first-day checklist (import studies, consent, labels, approve a task), each step from
// the site's real state, and the folder picker's answers. Counts and folder names only.
import { z } from 'zod';
import { consentPolicyViewSchema } from './site-status.ts';

export const firstDayViewSchema = z.object({
  /** De-identified studies stored here. */
  studies: z.number(),
  consentPolicy: consentPolicyViewSchema,
  /** Patients with at least one decision in the consent register. */
  consentPatients: z.number(),
  /** Files and patients left out at import because no consent was recorded for them. */
  keptOutForConsent: z.object({ patients: z.number(), files: z.number() }),
  /** The site's own tasks, and the studies labelled for any of them. */
  siteTasks: z.number(),
  labelledStudies: z.number(),
  /** Hub tasks approved here. */
  approvals: z.number(),
  /** Connected to a hub. */
  enrolled: z.boolean(),
});
export type FirstDayView = z.infer<typeof firstDayViewSchema>;

/** What the Browse button got: a folder the person chose in the system's dialog, or "use the agent's browser". */
export const folderChoiceSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('chosen'), path: z.string() }),
  z.object({ kind: z.literal('cancelled') }),
  z.object({ kind: z.literal('browse') }),
]);
export type FolderChoice = z.infer<typeof folderChoiceSchema>;

/** Which folder to list; empty: the agent's home folder. */
export const listFoldersRequestSchema = z.strictObject({ path: z.string().max(4096).optional() });

/** One folder's sub-folders, as the agent's folder browser lists them (names only, never files). */
export const folderListingSchema = z.object({
  /** Absolute path of the folder listed. */
  path: z.string(),
  /** Its parent, or null at the top of the file system. */
  parent: z.string().nullable(),
  /** The sub-folders that can be opened (name and whole path), sorted; hidden ones left out. */
  folders: z.array(z.object({ name: z.string(), path: z.string() })),
  /** True when there were more than the listing returns. */
  truncated: z.boolean(),
});
export type FolderListing = z.infer<typeof folderListingSchema>;
