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
import { guardPduSizes } from './pdu-guard.ts';
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

export interface AssociationHandler {
  requested(request: AssociationRequest): AssociationRefusal | null;
  receive(command: StoreCommand): StoreReceipt;
  answered(verdict: StoreVerdict): void;
  echoed(): void;
  closed(how: 'released' | 'aborted' | 'dropped'): void;
  /** The largest P-DATA PDU we accept, told to the sender at association (PS3.8 D.1). */
  maxPduLength: number;
}

export class StoreScp extends Scp {
  readonly #socket: Socket;
  readonly #handler: AssociationHandler;
  readonly #receipts = new Map<CStoreRequest, StoreReceipt>();
  #inFlight = 0;
  #releaseRequested = false;
  #released = false;
  #aborted = false;
  #closed = false;

  constructor(
    socket: Socket,
    handler: AssociationHandler,
    options: { associationTimeoutMs: number; pduTimeoutMs: number },
  ) {
    super(socket, { associationTimeout: options.associationTimeoutMs, pduTimeout: options.pduTimeoutMs });
    this.#socket = socket;
    this.#handler = handler;
    // The library's own Server sets this for accepted sockets; its timeouts only run when it is set.
    (this as unknown as { connected: boolean }).connected = true;
    guardPduSizes(socket, {
      maxPDataLength: () => handler.maxPduLength,
      onOversized: () => socket.destroy(),
    });
    this.on('networkError', () => socket.destroy());
    this.on('close', () => this.#onClose());
  }

  /** Whether an instance is being received or answered right now. */
  get busy(): boolean {
    return this.#inFlight > 0 || this.#receipts.size > 0;
  }

  override associationRequested(association: Association): void {
    const refusal = this.#handler.requested({
      callingAeTitle: association.getCallingAeTitle().trim(),
      calledAeTitle: association.getCalledAeTitle().trim(),
      remoteAddress: this.#socket.remoteAddress ?? 'unknown',
    });
    if (refusal !== null) {
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
    receipt.stream.on('backpressure', () => this.#socket.pause());
    receipt.stream.on('drain', () => this.#socket.resume());
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
    this.#socket.resume();
    this.#inFlight += 1;
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
        if (this.#inFlight === 0 && this.#releaseRequested) this.#release();
      });
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
    this.#handler.closed(this.#released ? 'released' : this.#aborted ? 'aborted' : 'dropped');
  }
}

function isStorageClass(uid: string): boolean {
  return STORAGE_CLASSES.has(uid) || uid.startsWith(STORAGE_ROOT);
}
