// What the Consent page sees: patients by pseudonym only (RF + 16 hex digits). Patient IDs are typed
// on the page for a withdrawal and hashed by the agent; none is ever sent back.

export interface ConsentDecisionView {
  in: boolean;
  status: 'granted' | 'refused' | 'withdrawn' | null;
  /** Why the patient is out, in words; null when in. */
  reason: string | null;
}

export interface ConsentPatientView {
  pseudonym: string;
  decision: ConsentDecisionView;
  lastDate: string;
  entries: number;
}

export interface ConsentRegisterView {
  policy: 'opt-in' | 'opt-out' | 'not-set';
  patients: ConsentPatientView[];
}

export interface ConsentHistoryEntry {
  status: 'granted' | 'refused' | 'withdrawn';
  date: string;
  /** '' speaks for every use. */
  scope: string;
  source: 'import' | 'set' | 'withdraw';
  recordedAt: string;
}

export interface RoundUseView {
  taskId: string;
  /** The task's name when this site approved it (from the audit log); null if it never did here. */
  taskName: string | null;
  roundId: string;
  completedAt: string;
}

export interface ConsentHistoryView {
  pseudonym: string;
  decision: ConsentDecisionView;
  history: ConsentHistoryEntry[];
  held: { studies: number; instances: number };
  rounds: RoundUseView[];
}

/** One problem of a consent file: its line (the header is line 1) and what is wrong, without values. */
export interface ConsentLineProblem {
  line: number;
  message: string;
}

export type ConsentImportResult =
  | {
      imported: true;
      rows: number;
      added: number;
      alreadyRecorded: number;
      byStatus: { granted: number; refused: number; withdrawn: number };
      /** Patients whose data was purged because the import put them out. */
      purgedPatients: number;
    }
  | { imported: false; message: string; problems: ConsentLineProblem[] };

/** What a withdrawal would purge, shown before the person confirms. */
export interface WithdrawPreview {
  pseudonym: string;
  /** False when the register has no entry and no data for this patient. */
  known: boolean;
  studies: number;
  instances: number;
  heldFiles: number;
  tensorCache: boolean;
  rounds: RoundUseView[];
}

export interface WithdrawResult {
  pseudonym: string;
  inForce: boolean;
  purged: { studies: number; instances: number; heldFiles: number; tensorCache: boolean } | null;
  rounds: RoundUseView[];
  message: string;
}
