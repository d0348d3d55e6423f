// The bridge to dcmjs-dimse: one `StoreScp` per connection, speaking the upper layer protocol and
// DIMSE (PS3.7, PS3.8) through the library, and asking an `AssociationHandler` (the receiver) what
// to do. Only this file knows the library. Its own logging is silenced (dicom-receiver.ts): it
// prints commands with their SOP Instance UIDs, which are patient-derived.
//
// C-STORE data sets are not decoded by the library: `createStoreWritableStream` hands it a file in
// quarantine to stream the P-DATA fragments into, and the response waits until the handler has
// flushed, checked and queued that file (`StoreReceipt.settle`).
import type { Socket } from 'node:net';
import type { Writable } from 'node:stream';
import dimse from 'dcmjs-dimse';
import type { association as dimseAssociation, requests, responses } from 'dcmjs-dimse';
import { AssociationTimer, type AssociationTimeLimits } from './association-timer.ts';
import { guardWords, timeLimitWords, type ConnectionCut, type CutCode } from './connection-words.ts';
import { guardPduSizes, type PduGuard } from './pdu-guard.ts';
import { errorComment, refused, StoreStatus, type StoreVerdict } from './store-status.ts';

type Association = dimseAssociation.Association;
type CStoreRequest = requests.CStoreRequest;
type CEchoRequest = requests.CEchoRequest;
type CStoreResponse = responses.CStoreResponse;
type CEchoResponse = responses.CEchoResponse;

const { Scp, constants } = dimse;
const { PresentationContextResult: Pc, RejectResult, RejectSource, RejectReason } = constants;

export const VERIFICATION_SOP_CLASS = '1.2.840.10008.1.1';
const STORAGE_ROOT = '1.2.840.10008.5.1.4.1.1.';
const STORAGE_CLASSES = new Set<string>(Object.values(constants.StorageClass));
/** GE's private Implicit VR Big Endian: our codec cannot read it (see dicom/transfer-syntax.ts). */
const UNREADABLE_SYNTAXES = new Set(['1.2.840.113619.5.2']);

export type AssociationRefusal = 'called-ae-not-recognized' | 'calling-ae-not-allowed' | 'too-busy';

export interface AssociationRequest {
  callingAeTitle: string;
  calledAeTitle: string;
  remoteAddress: string;
}

export interface StoreCommand {
  sopClassUid: string;
  sopInstanceUid: string;
  transferSyntaxUid: string;
}

/** One instance being received: the stream its data set goes into, and the answer once it is in. */
export interface StoreReceipt {
  stream: Writable;
  /** Called after the library ended `stream`: store the instance (or not) and say so. */
  settle(): Promise<StoreVerdict>;
  /** The association went away before the instance was complete. */
  abandon(): void;
}

export type ClosedHow = 'released' | 'aborted' | 'dropped' | 'cut';

export interface AssociationHandler {
  requested(request: AssociationRequest): AssociationRefusal | null;
  receive(command: StoreCommand): StoreReceipt;
  answered(verdict: StoreVerdict): void;
  echoed(): void;
  closed(how: ClosedHow, cut: ConnectionCut | null): void;
  /** The largest P-DATA PDU we accept, told to the sender at association (PS3.8 D.1). */
  maxPduLength: number;
}

export interface StoreScpLimits extends AssociationTimeLimits {
  /** The most bytes of one command set (or of a data set kept in memory) before the guard trips. */
  maxMessageBytes: number;
  /** C-STOREs received and not yet answered; past this the socket is not read until one is. */
  maxUnanswered: number;
}

/** A-ABORT from the service provider, reason not specified (PS3.8 9.3.8). */
const A_ABORT = Buffer.from([0x07, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x02, 0x00]);
/** After our A-ABORT, how long a peer that reads nothing may keep the socket. */
const ABORT_LINGER_MS = 2000;

export class StoreScp extends Scp {
  readonly #socket: Socket;
  readonly #handler: AssociationHandler;
  readonly #limits: StoreScpLimits;
  readonly #receipts = new Map<CStoreRequest, StoreReceipt>();
  readonly #guard: PduGuard;
  readonly #timer: AssociationTimer;
  /** Why we are not reading the socket: the disk is behind, or too many answers are owed. */
  readonly #holds = new Set<'disk' | 'answers'>();
  #inFlight = 0;
  #accepted = false;
  #releaseRequested = false;
  #released = false;
  #aborted = false;
  #cut: ConnectionCut | null = null;
  #closed = false;

  constructor(socket: Socket, handler: AssociationHandler, limits: StoreScpLimits) {
    super(socket, {});
    this.#socket = socket;
    this.#handler = handler;
    this.#limits = limits;
    // The library's own timers do not do what they say (association-timer.ts): switch them off.
    socket.setTimeout(0);
    clearInterval((this as unknown as { timeoutIntervalId?: NodeJS.Timeout }).timeoutIntervalId);
    this.#timer = new AssociationTimer(
      socket,
      { negotiationMs: limits.negotiationMs, idleMs: limits.idleMs, totalMs: limits.totalMs },
      {
        waitingOnUs: () => this.#inFlight > 0 || this.#holds.size > 0,
        expired: (code) => this.cut(code, timeLimitWords(code, limits)),
      },
    );
    this.#guard = guardPduSizes(socket, {
      maxPDataLength: () => handler.maxPduLength,
      maxMessageBytes: limits.maxMessageBytes,
      onTripped: (trip) => this.cut(trip.code, guardWords(trip, limits)),
    });
    this.on('networkError', () => socket.destroy());
    this.on('close', () => this.#onClose());
  }

  /** Whether an instance is being received or answered right now. */
  get busy(): boolean {
    return this.#inFlight > 0 || this.#receipts.size > 0;
  }

  /** Whether an association was accepted on this connection (else it is waiting, or was refused). */
  get accepted(): boolean {
    return this.#accepted;
  }

  /** Whether the receiver has cut this connection and it is going away. */
  get ending(): boolean {
    return this.#cut !== null;
  }

  /**
   * Ends the connection on the receiver's side: stop reading, send A-ABORT (PS3.8 9.3.8), close.
   * A sender not yet told an instance is stored will send it again.
   */
  cut(code: CutCode, reason: string): void {
    if (this.#closed || this.#cut !== null) return;
    this.#cut = { code, reason, heldBytes: this.#guard.heldBytes };
    this.#timer.stop();
    const socket = this.#socket;
    socket.pause();
    socket.end(A_ABORT, () => socket.destroy());
    setTimeout(() => socket.destroy(), ABORT_LINGER_MS).unref();
  }

  override associationRequested(association: Association): void {
    const refusal = this.#handler.requested({
      callingAeTitle: association.getCallingAeTitle().trim(),
      calledAeTitle: association.getCalledAeTitle().trim(),
      remoteAddress: this.#socket.remoteAddress ?? 'unknown',
    });
    if (refusal !== null) {
      this.#timer.refused();
      // PS3.8 9.3.4: permanent for a wrong AE title, transient when we are only busy.
      const [result, source, reason] =
        refusal === 'too-busy'
          ? [
              RejectResult.Transient,
              RejectSource.ServiceProviderPresentation,
              RejectReason.LocalLimitExceeded,
            ]
          : refusal === 'called-ae-not-recognized'
            ? [RejectResult.Permanent, RejectSource.ServiceUser, RejectReason.CalledAeNotRecognized]
            : [RejectResult.Permanent, RejectSource.ServiceUser, RejectReason.CallingAeNotRecognized];
      this.sendAssociationReject(result, source, reason);
      // The requester should release the connection; do not wait for it (PS3.8 9.1.4).
      setTimeout(() => this.#socket.destroy(), 1000).unref();
      return;
    }
    for (const { id } of association.getPresentationContexts()) {
      const context = association.getPresentationContext(id);
      const abstractSyntax = context.getAbstractSyntaxUid();
      if (abstractSyntax !== VERIFICATION_SOP_CLASS && !isStorageClass(abstractSyntax)) {
        context.setResult(Pc.RejectAbstractSyntaxNotSupported);
        continue;
      }
      // The sender's first choice we can read: the data set is then stored as it was sent.
      const syntax = context.getTransferSyntaxUids().find((uid) => !UNREADABLE_SYNTAXES.has(uid));
      if (syntax === undefined) context.setResult(Pc.RejectTransferSyntaxesNotSupported);
      else context.setResult(Pc.Accept, syntax);
    }
    association.setMaxPduLength(this.#handler.maxPduLength);
    this.#accepted = true;
    this.#timer.associated();
    this.sendAssociationAccept();
  }

  override createStoreWritableStream(
    context: dimseAssociation.PresentationContext,
    request: CStoreRequest,
  ): Writable {
    const receipt = this.#handler.receive({
      sopClassUid: request.getAffectedSopClassUid()?.trim() ?? '',
      sopInstanceUid: request.getAffectedSopInstanceUid()?.trim() ?? '',
      transferSyntaxUid: context.getAcceptedTransferSyntaxUid() ?? '',
    });
    this.#receipts.set(request, receipt);
    // Backpressure: stop reading the socket while the disk is behind, so TCP slows the sender.
    receipt.stream.on('backpressure', () => this.#hold('disk'));
    receipt.stream.on('drain', () => this.#unhold('disk'));
    return receipt.stream;
  }

  override createDatasetFromStoreWritableStream(
    _stream: Writable,
    _context: dimseAssociation.PresentationContext,
    callback: (dataset: never) => void,
  ): void {
    // The data set stays on disk as received; the library gets none to decode.
    callback(undefined as never);
  }

  override cStoreRequest(request: CStoreRequest, callback: (response: CStoreResponse) => void): void {
    const receipt = this.#receipts.get(request);
    this.#receipts.delete(request);
    this.#unhold('disk'); // the library has ended the stream: no more data for it
    this.#inFlight += 1;
    if (this.#inFlight >= this.#limits.maxUnanswered) this.#hold('answers');
    const verdict: Promise<StoreVerdict> = receipt
      ? receipt.settle()
      : Promise.resolve(refused(StoreStatus.CannotUnderstand, 'the C-STORE request carried no data set'));
    void verdict
      .catch(() => refused(StoreStatus.OutOfResources, 'the site could not store the instance'))
      .then((answer) => {
        this.#handler.answered(answer);
        if (this.#closed) return;
        const response = dimse.responses.CStoreResponse.fromRequest(request);
        response.setStatus(answer.status);
        if (answer.reason !== null) response.setErrorComment(errorComment(answer.reason));
        callback(response);
      })
      .finally(() => {
        this.#inFlight -= 1;
        if (this.#inFlight < this.#limits.maxUnanswered) this.#unhold('answers');
        if (this.#inFlight === 0 && this.#releaseRequested) this.#release();
      })
      // Nothing may escape into the library's event handlers: a throw there ends the process.
      .catch(() => this.#socket.destroy());
  }

  override cEchoRequest(request: CEchoRequest, callback: (response: CEchoResponse) => void): void {
    const response = dimse.responses.CEchoResponse.fromRequest(request);
    response.setStatus(StoreStatus.Success);
    this.#handler.echoed();
    callback(response);
  }

  override associationReleaseRequested(): void {
    // An asynchronous sender may release with answers still owed: answer them first.
    this.#releaseRequested = true;
    if (this.#inFlight === 0) this.#release();
  }

  override abort(): void {
    this.#aborted = true;
    this.#socket.destroy();
  }

  #hold(reason: 'disk' | 'answers'): void {
    this.#holds.add(reason);
    this.#socket.pause();
  }

  #unhold(reason: 'disk' | 'answers'): void {
    this.#holds.delete(reason);
    if (this.#holds.size === 0 && this.#cut === null) this.#socket.resume();
  }

  #release(): void {
    if (this.#released || this.#closed) return;
    this.#released = true;
    this.sendAssociationReleaseResponse();
  }

  #onClose(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const receipt of this.#receipts.values()) receipt.abandon();
    this.#receipts.clear();
    this.#timer.stop();
    const how = this.#released ? 'released' : this.#cut ? 'cut' : this.#aborted ? 'aborted' : 'dropped';
    this.#handler.closed(how, this.#cut);
  }
}

function isStorageClass(uid: string): boolean {
  return STORAGE_CLASSES.has(uid) || uid.startsWith(STORAGE_ROOT);
}
