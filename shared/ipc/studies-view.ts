// What the Studies page sees of the site: import runs, the de-identification report, and one
// instance's header before and after de-identification. Identified values never travel here: the
// agent masks them (`•••••• (12 characters)`) before they reach the screen.

/** What became of the files of an import, by outcome. */
export interface ImportCounts {
  deidentified: number;
  held: number;
  rejected: number;
  /** Not stored: the patient is not in by consent. */
  excluded: number;
  alreadyIngested: number;
  failed: number;
}

export type ImportFileStatus =
  'deidentified' | 'held' | 'rejected' | 'excluded' | 'already-ingested' | 'failed';

/** One file of an import, known by its number in the run (its name may carry a patient's name). */
export interface ImportFileView {
  /** 1-based, in the order the files were processed. */
  number: number;
  status: ImportFileStatus;
  /** Why it was held, rejected, excluded or failed; never a value from the file. */
  reason: string | null;
}

export interface ImportProgress {
  importId: string;
  state: 'running' | 'completed' | 'failed';
  /** Files processed so far, and in all (0 until the folder has been listed). */
  done: number;
  total: number;
  counts: ImportCounts;
  /** The files processed so far, in order. */
  files: ImportFileView[];
  /** A sentence for a person when the run failed. */
  error: string | null;
}

/** A reason files were held back or rejected, with how many. */
export interface ReasonCount {
  /** The agent's exact reason (tags, kinds of values): technical detail, shown behind a disclosure. */
  reason: string;
  /** The same in plain words for the person at the screen. */
  plain: string;
  files: number;
}

export interface HeldFileView {
  /** The held entry's number, to ask for its header. */
  id: number;
  reason: string;
  /** The reason in plain words (the review queue's wording). */
  plain: string;
  heldAt: string;
}

export interface IngestRunView {
  id: number;
  startedAt: string;
  finishedAt: string | null;
  status: string;
  files: number;
  deidentified: number;
  held: number;
  rejected: number;
  alreadyIngested: number;
  failed: number;
}

export interface DeidReport {
  /** PS3.15 option names (kebab-case) this site applies. */
  deidOptions: string[];
  profile: string;
  counts: {
    patients: number;
    studies: number;
    series: number;
    instances: number;
    held: number;
    rejected: number;
  };
  heldReasons: ReasonCount[];
  rejectedReasons: ReasonCount[];
  held: HeldFileView[];
  /** Latest first. */
  runs: IngestRunView[];
}

/** Where the instance shown comes from. */
export type HeaderSource =
  /** A file of an import run in this session: its source file is still where the operator put it. */
  | { kind: 'import'; importId: string; file: number }
  /** A file held back: its identified copy is kept in quarantine. */
  | { kind: 'held'; heldId: number };

export type HeaderAction = 'kept' | 'replaced' | 'emptied' | 'removed' | 'added';

export interface HeaderRow {
  /** `(0010,0010)` */
  tag: string;
  /** `PatientName`, or `private` / `unknown`. */
  keyword: string;
  vr: string;
  action: HeaderAction;
  /**
   * The original value as shown: masked unless it was kept unchanged and its attribute cannot identify
   * anyone (a code, a number, an unlisted UID); null when absent.
   */
  before: string | null;
  /** The de-identified value as shown; null when removed. */
  after: string | null;
}

export interface HeaderComparison {
  /** What the two columns are, in words (e.g. "the source file" / "the stored de-identified file"). */
  beforeFrom: string;
  afterFrom: string;
  /** When the original cannot be shown, why; then `rows` carry only the de-identified header. */
  notice: string | null;
  outcome: ImportFileStatus;
  rows: HeaderRow[];
}
