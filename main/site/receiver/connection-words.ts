// The receiver's reasons for ending or refusing a connection, in words for the log, the audit log and
// the operator. They name limits and counts, never anything a data set holds.
import type { AssociationTimeLimits, TimeLimitCode } from './association-timer.ts';
import type { GuardTrip } from './pdu-guard.ts';
import type { AssociationRefusal } from './store-scp.ts';

export type CutCode = TimeLimitCode | GuardTrip['code'] | 'made-room';

/** Why the receiver itself ended a connection (with an A-ABORT), in words for the log and audit. */
export interface ConnectionCut {
  code: CutCode;
  reason: string;
  /** What the library held in memory for this connection at the time (the guard's upper bound). */
  heldBytes: number;
}

type WordedLimits = AssociationTimeLimits & { maxMessageBytes: number };

export const REFUSAL_WORDS: Record<Exclude<AssociationRefusal, 'too-busy'>, string> = {
  'calling-ae-not-allowed': 'calling AE title not on the allow-list',
  'called-ae-not-recognized': 'called AE title not ours',
};

export const MADE_ROOM_WORDS =
  'it held a connection without an association, and a new connection needed its place';

/** An AE title as it may be shown: the AE character set only, at most 16 (PS3.5 6.2). */
export function printable(aeTitle: string): string {
  return aeTitle.replace(/[^\x20-\x5b\x5d-\x7e]/g, '?').slice(0, 16);
}

const seconds = (ms: number) => (ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`);

export function timeLimitWords(code: TimeLimitCode, limits: WordedLimits): string {
  switch (code) {
    case 'no-association-request':
      return `it sent no association request within ${seconds(limits.negotiationMs)}`;
    case 'idle':
      return `it sent nothing for ${seconds(limits.idleMs)}`;
    case 'too-long':
      return `the association went on longer than the ${seconds(limits.totalMs)} allowed`;
  }
}

export function guardWords(trip: GuardTrip, limits: WordedLimits): string {
  switch (trip.code) {
    case 'pdu-too-large':
      return `it announced a PDU of ${trip.length} bytes, more than this receiver accepts`;
    case 'message-too-large':
      return `one DIMSE message grew past ${limits.maxMessageBytes} bytes without its last fragment`;
    case 'malformed-pdata':
      return 'it sent a P-DATA PDU whose items do not fit in it';
  }
}
