// C-STORE response statuses (PS3.4 Table B.2-1) and the verdict the receiver gives one instance.

export const StoreStatus = {
  Success: 0x0000,
  /** Refused: Out of Resources (A7xx): the sender may try again later. */
  OutOfResources: 0xa700,
  /** Error: Data Set does not match SOP Class (A9xx). */
  DataSetDoesNotMatchSopClass: 0xa900,
  /** Error: Cannot understand (Cxxx). */
  CannotUnderstand: 0xc000,
  /** Refused: SOP Class not supported (PS3.7 C.4.1.1.4, status 0122H). */
  SopClassNotSupported: 0x0122,
} as const;

export type StoreStatusCode = (typeof StoreStatus)[keyof typeof StoreStatus];

/** What the receiver answers for one instance. `reason` never holds a patient value. */
export interface StoreVerdict {
  status: StoreStatusCode;
  /** Why the instance was refused, in words; null on success. */
  reason: string | null;
}

export const stored: StoreVerdict = { status: StoreStatus.Success, reason: null };

export function refused(status: StoreStatusCode, reason: string): StoreVerdict {
  return { status, reason };
}

/**
 * The Error Comment (0000,0902) sent back: VR LO, at most 64 characters (PS3.7 C.4.1.1.4), so the
 * first clause of the reason; the full reason goes to the site's log and terminal.
 */
export function errorComment(reason: string): string {
  const clean = reason.replace(/[^\x20-\x5b\x5d-\x7e]/g, ' ').trim();
  return clean.length <= 64 ? clean : `${clean.slice(0, 61)}...`;
}
