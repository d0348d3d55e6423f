// What the site agent reports about itself: shown on the dashboard, the tray and `radfed site status`.
// Counts only; never a patient identifier.

export interface SiteStatus {
  siteName: string;
  /** Absolute path of the site folder. */
  directory: string;
  consentPolicy: 'opt-in' | 'opt-out' | 'not-set';
  /** The de-identification options this site applies on ingest (PS3.15 option names, kebab-case). */
  deidOptions: string[];
  counts: {
    patients: number;
    studies: number;
    series: number;
    instances: number;
    /** Files kept in quarantine because releasing them could expose a patient (burned-in text, a verification hit). */
    held: number;
    /** Files that could not be read as DICOM. */
    rejected: number;
  };
  /** ISO time of the last completed ingest, or null. */
  lastIngestAt: string | null;
}

/** The DICOM receiver and the watched folder the session runs (site.json), with counts since start. */
export interface StudySourcesView {
  receiver: {
    aeTitle: string;
    port: number;
    allowedCallingAeTitles: string[];
    received: number;
    refused: number;
    ingested: number;
    waiting: number;
  } | null;
  watch: { folder: string; ingested: number } | null;
  /** Whether they are running now (false: not set up, stopped, or failed to start: see `problem`). */
  running: boolean;
  /** The latest event in words (a refusal, a finished ingest, a warning). */
  lastEvent: string | null;
  /** Why they could not start (port in use, folder missing), in words; null when none. */
  problem: string | null;
}
