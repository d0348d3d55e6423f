// What the receiver tells its owner (the CLI, the site UI) as it works. Events carry AE titles,
// addresses, counts and reasons; never a UID, a file name, or anything else from a data set.
import type { IngestFileOutcome, IngestSummary } from '../ingest/index.ts';
import type { CutCode } from './connection-words.ts';
import type { AssociationRefusal, ClosedHow } from './store-scp.ts';
import type { StoreVerdict } from './store-status.ts';

export type ReceiverEvent =
  | { type: 'listening'; host: string; port: number; queuedFromBefore: number }
  | { type: 'association-accepted'; callingAeTitle: string; remoteAddress: string }
  | {
      type: 'association-refused';
      callingAeTitle: string;
      calledAeTitle: string;
      remoteAddress: string;
      refusal: AssociationRefusal;
    }
  | { type: 'echo'; callingAeTitle: string }
  | { type: 'instance-answered'; callingAeTitle: string; verdict: StoreVerdict }
  | {
      type: 'association-closed';
      callingAeTitle: string;
      how: ClosedHow;
      stored: number;
      refused: number;
    }
  | {
      type: 'connection-cut';
      remoteAddress: string;
      callingAeTitle: string | null;
      code: CutCode;
      reason: string;
      heldBytes: number;
    }
  /** Something the operator should act on (a full disk), or null when it is over. */
  | { type: 'warning'; reason: string | null }
  | { type: 'instance-ingested'; outcome: IngestFileOutcome; setAsideAs: string | null }
  | { type: 'run-finished'; summary: IngestSummary }
  | { type: 'stalled'; reason: string };
