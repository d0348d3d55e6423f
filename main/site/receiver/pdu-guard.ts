// A guard on what a sender can make the receiver hold in memory (PS3.8 9.3). The DIMSE library
// gathers each PDU in memory before it parses it, trusting the 4-byte length in its header, and
// gathers each command set (and any data set that is not a C-STORE's) in memory until a fragment
// marked "last" arrives (PS3.8 E.2). A sender that announced a 4 GiB PDU, or whose command fragments
// never carried the last bit, was buffered until memory ran out. The guard reads the same bytes just
// before the library does, keeps an upper bound of what the library holds for this association, and
// trips as soon as a PDU or a message would go past its limit. C-STORE data sets are not counted:
// they stream to disk (received-file.ts), paced by backpressure.
import type { Socket } from 'node:net';

const P_DATA_TF = 0x04;
/** Association and release PDUs: far below this even with every storage SOP class proposed. */
const OTHER_PDU_MAX = 1024 * 1024;
const PDU_HEADER = 6;
/** PDV item: 4-byte item length, presentation context ID, message control header (PS3.8 9.3.5.1). */
const PDV_HEADER = 6;
/** Command Field (0000,0100) value of a C-STORE-RQ (PS3.7 E.1): its data set goes to disk. */
const C_STORE_RQ = 0x0001;
const COMMAND_FIELD_TAG = 0x00000100;

export interface PduGuardOptions {
  /** The largest P-DATA-TF variable field allowed (the negotiated Maximum Length Received). */
  maxPDataLength: () => number;
  /** The most bytes of one message (a command set, or a data set the library keeps in memory). */
  maxMessageBytes: number;
  onTripped(trip: GuardTrip): void;
}

export type GuardTrip =
  | { code: 'pdu-too-large'; pduType: number; length: number; heldBytes: number }
  | { code: 'message-too-large'; messageBytes: number; heldBytes: number }
  | { code: 'malformed-pdata'; heldBytes: number };

export interface PduGuard {
  /** An upper bound of the bytes the library holds for this association right now. */
  readonly heldBytes: number;
  /** The largest `heldBytes` seen on this association. */
  readonly peakHeldBytes: number;
}

/** Watches `socket`'s incoming bytes (prepended, so it sees each chunk before the library). */
export function guardPduSizes(socket: Socket, options: PduGuardOptions): PduGuard {
  const reader = new PduReader(options);
  const onData = (chunk: Buffer) => {
    if (!reader.read(chunk)) socket.removeListener('data', onData);
  };
  socket.prependListener('data', onData);
  return reader;
}

/** The state machine: PDU headers, and inside P-DATA-TF PDUs the PDV items (PS3.8 9.3.5). */
export class PduReader implements PduGuard {
  readonly #options: PduGuardOptions;
  #pduHeader = Buffer.alloc(0);
  #pduType = 0;
  /** Bytes of the current PDU's variable field still to come. */
  #pduRemaining = 0;
  /** Bytes of the current PDU received so far, header included: the library holds them all. */
  #pduBytes = 0;
  #pdvHeader = Buffer.alloc(0);
  #pdvRemaining = 0;
  #pdvIsCommand = false;
  #pdvIsLast = false;
  /** The message being gathered in the library's memory, and whether data sets go to disk. */
  #messageBytes = 0;
  #command: Buffer[] = [];
  #datasetToDisk = false;
  #peak = 0;
  #tripped = false;

  constructor(options: PduGuardOptions) {
    this.#options = options;
  }

  get heldBytes(): number {
    return this.#pduBytes + this.#messageBytes;
  }

  get peakHeldBytes(): number {
    return this.#peak;
  }

  /** Reads one chunk; false once tripped (nothing more needs reading). */
  read(chunk: Buffer): boolean {
    let offset = 0;
    while (!this.#tripped && offset < chunk.length) {
      if (this.#pduRemaining === 0 && this.#pduHeader.length < PDU_HEADER) {
        offset += this.#readPduHeader(chunk.subarray(offset));
      } else {
        const take = Math.min(this.#pduRemaining, chunk.length - offset);
        const body = chunk.subarray(offset, offset + take);
        this.#pduBytes += take;
        this.#pduRemaining -= take;
        offset += take;
        if (this.#pduType === P_DATA_TF) this.#readPData(body);
        if (this.#pduRemaining === 0) this.#endPdu();
      }
      this.#peak = Math.max(this.#peak, this.heldBytes);
    }
    return !this.#tripped;
  }

  #readPduHeader(bytes: Buffer): number {
    const part = bytes.subarray(0, PDU_HEADER - this.#pduHeader.length);
    this.#pduHeader = Buffer.concat([this.#pduHeader, part]);
    this.#pduBytes += part.length;
    if (this.#pduHeader.length < PDU_HEADER) return part.length;
    this.#pduType = this.#pduHeader[0] ?? 0;
    const length = this.#pduHeader.readUInt32BE(2);
    const max = this.#pduType === P_DATA_TF ? this.#options.maxPDataLength() : OTHER_PDU_MAX;
    if (length > max) {
      this.#trip({ code: 'pdu-too-large', pduType: this.#pduType, length, heldBytes: this.heldBytes });
    } else {
      this.#pduRemaining = length;
      if (length === 0) this.#endPdu();
    }
    return part.length;
  }

  #endPdu(): void {
    if (this.#pduType === P_DATA_TF && (this.#pdvHeader.length > 0 || this.#pdvRemaining > 0)) {
      // A PDV item ran past the end of its PDU: the library cannot parse this either.
      this.#trip({ code: 'malformed-pdata', heldBytes: this.heldBytes });
      return;
    }
    this.#pduHeader = Buffer.alloc(0);
    this.#pduBytes = 0;
  }

  #readPData(body: Buffer): void {
    let offset = 0;
    while (!this.#tripped && offset < body.length) {
      if (this.#pdvRemaining === 0) {
        const part = body.subarray(offset, offset + (PDV_HEADER - this.#pdvHeader.length));
        this.#pdvHeader = Buffer.concat([this.#pdvHeader, part]);
        offset += part.length;
        if (this.#pdvHeader.length < PDV_HEADER) return;
        const itemLength = this.#pdvHeader.readUInt32BE(0);
        const control = this.#pdvHeader[5] ?? 0;
        this.#pdvHeader = Buffer.alloc(0);
        if (itemLength < 2 || itemLength - 2 > this.#pduRemaining + (body.length - offset)) {
          this.#trip({ code: 'malformed-pdata', heldBytes: this.heldBytes });
          return;
        }
        this.#pdvIsCommand = (control & 0x01) !== 0;
        this.#pdvIsLast = (control & 0x02) !== 0;
        this.#pdvRemaining = itemLength - 2;
        if (this.#pdvRemaining === 0) this.#endFragment();
        continue;
      }
      const value = body.subarray(offset, offset + Math.min(this.#pdvRemaining, body.length - offset));
      offset += value.length;
      this.#pdvRemaining -= value.length;
      this.#addToMessage(value);
      if (this.#pdvRemaining === 0) this.#endFragment();
    }
  }

  #addToMessage(value: Buffer): void {
    if (this.#pdvIsCommand) this.#command.push(value);
    else if (this.#datasetToDisk) return;
    this.#messageBytes += value.length;
    this.#peak = Math.max(this.#peak, this.heldBytes);
    if (this.#messageBytes > this.#options.maxMessageBytes) {
      this.#trip({ code: 'message-too-large', messageBytes: this.#messageBytes, heldBytes: this.heldBytes });
    }
  }

  /** A fragment ended; a last one ends its command set or data set, which the library then frees. */
  #endFragment(): void {
    if (!this.#pdvIsLast) return;
    if (this.#pdvIsCommand) {
      this.#datasetToDisk = commandField(Buffer.concat(this.#command)) === C_STORE_RQ;
      this.#command = [];
    } else {
      this.#datasetToDisk = false;
    }
    this.#messageBytes = 0;
  }

  #trip(trip: GuardTrip): void {
    this.#tripped = true;
    this.#command = [];
    this.#options.onTripped(trip);
  }
}

/** The Command Field of a command set (Implicit VR Little Endian, PS3.7 6.3.1), or null. */
export function commandField(commandSet: Buffer): number | null {
  let offset = 0;
  while (offset + 8 <= commandSet.length) {
    const tag = ((commandSet.readUInt16LE(offset) << 16) | commandSet.readUInt16LE(offset + 2)) >>> 0;
    const length = commandSet.readUInt32LE(offset + 4);
    offset += 8;
    if (tag === COMMAND_FIELD_TAG)
      return length >= 2 && offset + 2 <= commandSet.length ? commandSet.readUInt16LE(offset) : null;
    offset += length;
  }
  return null;
}
