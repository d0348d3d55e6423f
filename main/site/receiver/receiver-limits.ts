// What the receiver allows one sender, and all of them together. Every limit is here so that tests
// can make them small; the defaults are for a hospital network (docs/site-data.md, "DICOM receiver").

export interface ReceiverLimits {
  /** Associations open at once; more are refused as transient (local limit exceeded). */
  maxAssociations: number;
  /** Acknowledged files waiting for ingest; past this, new instances wait, then are refused. */
  maxQueuedFiles: number;
  /** How long an instance waits for room in the queue before it is refused (Out of Resources). */
  queueWaitMs: number;
  /** The largest data set accepted (bytes). */
  maxInstanceBytes: number;
  /** The largest P-DATA PDU accepted, told to senders at association. */
  maxPduLength: number;
  /** The largest command set (or data set kept in memory) of one DIMSE message, in bytes. */
  maxMessageBytes: number;
  /** C-STOREs of one association received and not yet answered; past this its socket is not read. */
  maxUnanswered: number;
  /** From a connection to its A-ASSOCIATE-RQ being answered (PS3.8 ARTIM). */
  negotiationTimeoutMs: number;
  /** The longest silence of an association while it owes us the next byte. */
  idleTimeoutMs: number;
  /** The longest a connection may last, however busy. */
  maxAssociationMs: number;
  /** Refused and cut-off connections: one audit entry per sender address and reason per window. */
  auditWindowMs: number;
}

export const DEFAULT_LIMITS: ReceiverLimits = {
  maxAssociations: 8,
  maxQueuedFiles: 500,
  queueWaitMs: 5000,
  maxInstanceBytes: 2 * 1024 * 1024 * 1024,
  maxPduLength: 256 * 1024,
  // A command set is a few hundred bytes (PS3.7 9.3, 10.3); this leaves room for any real one.
  maxMessageBytes: 64 * 1024,
  maxUnanswered: 16,
  negotiationTimeoutMs: 10_000,
  idleTimeoutMs: 60_000,
  // A large study over a slow link fits; a sender trickling bytes to hold a slot does not stay.
  maxAssociationMs: 30 * 60_000,
  auditWindowMs: 60_000,
};

/** Connections held at once: a few over the association cap, so those get a polite refusal. */
export function connectionCap(limits: ReceiverLimits): number {
  return limits.maxAssociations + 4;
}
