// The dashboard's first-day checklist (import studies, consent, labels, approve a task), each step from
// the site's real state, and the folder picker's answers. Counts and folder names only.

export interface FirstDayView {
  /** De-identified studies stored here. */
  studies: number;
  consentPolicy: 'opt-in' | 'opt-out' | 'not-set';
  /** Patients with at least one decision in the consent register. */
  consentPatients: number;
  /** Files and patients left out at import because no consent was recorded for them. */
  keptOutForConsent: { patients: number; files: number };
  /** The site's own tasks, and the studies labelled for any of them. */
  siteTasks: number;
  labelledStudies: number;
  /** Hub tasks approved here. */
  approvals: number;
  /** Connected to a hub. */
  enrolled: boolean;
}

/** What the Browse button got: a folder the person chose in the system's dialog, or "use the agent's browser". */
export type FolderChoice = { kind: 'chosen'; path: string } | { kind: 'cancelled' } | { kind: 'browse' };

/** One folder's sub-folders, as the agent's folder browser lists them (names only, never files). */
export interface FolderListing {
  /** Absolute path of the folder listed. */
  path: string;
  /** Its parent, or null at the top of the file system. */
  parent: string | null;
  /** The sub-folders that can be opened (name and whole path), sorted; hidden ones left out. */
  folders: { name: string; path: string }[];
  /** True when there were more than the listing returns. */
  truncated: boolean;
}
