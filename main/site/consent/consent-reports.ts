// What the consent operations answer: reports for the command line and the app, in words without any
// patient identifier (patients by pseudonym only).
import type { ExcludedStudy } from './consent-exclusions.ts';
import type { ConsentDecision, ConsentStatus } from './consent-policy.ts';
import type { ConsentEntry } from './consent-register.ts';
import type { PurgeResult, RoundUse } from './purge.ts';

export interface ImportReport {
  rows: number;
  added: number;
  /** Rows identical to an entry already recorded (the same export imported again). */
  alreadyRecorded: number;
  encoding: 'utf-8' | 'latin1';
  byStatus: Record<ConsentStatus, number>;
  purged: PurgeResult[];
}

export interface SetReport {
  pseudonym: string;
  entry: ConsentEntry;
  decision: ConsentDecision;
  purged: PurgeResult | null;
}

export interface WithdrawReport {
  pseudonym: string;
  /** False when a later-dated entry is in force, so the withdrawal does not (yet) take effect. */
  inForce: boolean;
  /** Null when the site held no data of this patient (or the withdrawal is not in force). */
  purged: PurgeResult | null;
  rounds: RoundUse[];
  message: string;
}

export interface PatientConsentView {
  pseudonym: string;
  decision: ConsentDecision;
  history: ConsentEntry[];
  held: { studies: number; instances: number };
  exclusions: ExcludedStudy[];
  rounds: RoundUse[];
}

export const NO_DATA_MESSAGE = 'no data held for this patient; future ingests will exclude them';

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

export function withdrawMessage(inForce: boolean, purged: PurgeResult | null): string {
  if (!inForce) {
    return 'withdrawal recorded, but a later-dated entry is in force, so the patient is still in; check the dates';
  }
  if (purged === null) return NO_DATA_MESSAGE;
  const rounds = purged.rounds.length;
  return (
    `withdrawal recorded; purged ${plural(purged.studies, 'study', 'studies')} ` +
    `(${plural(purged.instances, 'image', 'images')})` +
    (purged.heldFiles > 0 ? `, ${plural(purged.heldFiles, 'held file', 'held files')}` : '') +
    (purged.cacheRemoved ? ', and their prepared training data' : '') +
    (rounds === 0
      ? '; no completed round had used their data'
      : `; ${plural(rounds, 'completed round', 'completed rounds')} had used their data (see the audit log)`)
  );
}
