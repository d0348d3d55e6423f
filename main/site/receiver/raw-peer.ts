// For the receiver's tests: a peer on a raw socket that speaks just enough of the DICOM upper layer
// (PS3.8 9.3) to do what no well-behaved tool does: stay silent, trickle bytes, or send a command
// whose fragments never end. Not used by RadFed.
import { connect, type Socket } from 'node:net';

export const VERIFICATION = '1.2.840.10008.1.1';
export const IMPLICIT_VR_LE = '1.2.840.10008.1.2';
const APPLICATION_CONTEXT = '1.2.840.10008.3.1.1.1';
const IMPLEMENTATION_CLASS = '1.2.826.0.1.3680043.10.1138.1';

export const PduType = { AssociateAc: 0x02, AssociateRj: 0x03, PData: 0x04, Abort: 0x07 } as const;

function item(type: number, body: Buffer): Buffer {
  const header = Buffer.alloc(4);
  header.writeUInt8(type, 0);
  header.writeUInt16BE(body.length, 2);
  return Buffer.concat([header, body]);
}

const uidItem = (type: number, uid: string) => item(type, Buffer.from(uid, 'ascii'));
const aeTitle = (title: string) => Buffer.from(title.padEnd(16, ' ').slice(0, 16), 'ascii');

function pdu(type: number, body: Buffer): Buffer {
  const header = Buffer.alloc(6);
  header.writeUInt8(type, 0);
  header.writeUInt32BE(body.length, 2);
  return Buffer.concat([header, body]);
}

/** An A-ASSOCIATE-RQ proposing Verification in Implicit VR Little Endian (PS3.8 9.3.2). */
export function associateRequest(calling: string, called: string): Buffer {
  const fixed = Buffer.alloc(68);
  fixed.writeUInt16BE(1, 0); // protocol version
  aeTitle(called).copy(fixed, 4);
  aeTitle(calling).copy(fixed, 20);
  const context = item(
    0x20,
    Buffer.concat([Buffer.from([1, 0, 0, 0]), uidItem(0x30, VERIFICATION), uidItem(0x40, IMPLICIT_VR_LE)]),
  );
  const maxLength = Buffer.alloc(4);
  maxLength.writeUInt32BE(16384, 0);
  const userInfo = item(0x50, Buffer.concat([item(0x51, maxLength), uidItem(0x52, IMPLEMENTATION_CLASS)]));
  return pdu(0x01, Buffer.concat([fixed, uidItem(0x10, APPLICATION_CONTEXT), context, userInfo]));
}

/** A P-DATA-TF PDU with one PDV: a command or data set fragment, marked last or not (PS3.8 9.3.5). */
export function pDataFragment(value: Buffer, options: { command: boolean; last: boolean }): Buffer {
  const header = Buffer.alloc(6);
  header.writeUInt32BE(value.length + 2, 0);
  header.writeUInt8(1, 4); // presentation context 1
  header.writeUInt8((options.command ? 1 : 0) | (options.last ? 2 : 0), 5);
  return pdu(PduType.PData, Buffer.concat([header, value]));
}

/** A raw connection that keeps what it receives, and says when the receiver closed it. */
export class RawPeer {
  readonly socket: Socket;
  readonly closed: Promise<void>;
  #received = Buffer.alloc(0);
  #waiters: Array<() => void> = [];
  #isClosed = false;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.#received = Buffer.concat([this.#received, chunk]);
      this.#wake();
    });
    socket.on('error', () => undefined); // a reset is one way of being closed
    this.closed = new Promise((resolve) =>
      socket.once('close', () => {
        this.#isClosed = true;
        this.#wake();
        resolve();
      }),
    );
  }

  static connect(port: number): Promise<RawPeer> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('error', reject);
      socket.once('connect', () => resolve(new RawPeer(socket)));
    });
  }

  get isClosed(): boolean {
    return this.#isClosed;
  }

  /** The types of the PDUs received so far, in order. */
  get receivedTypes(): number[] {
    const types: number[] = [];
    let offset = 0;
    while (offset + 6 <= this.#received.length) {
      types.push(this.#received[offset] ?? 0);
      offset += 6 + this.#received.readUInt32BE(offset + 2);
    }
    return types;
  }

  /** Sends an A-ASSOCIATE-RQ; resolves with the type of the answer (A-ASSOCIATE-AC or -RJ). */
  async associate(calling: string, called = 'RADFED'): Promise<number> {
    this.socket.write(associateRequest(calling, called));
    await this.until(() => this.receivedTypes.length > 0);
    return this.receivedTypes[0] ?? -1;
  }

  /** Writes, waiting for the socket to drain; false once the receiver has closed the connection. */
  async send(bytes: Buffer): Promise<boolean> {
    if (this.#isClosed || this.socket.destroyed) return false;
    if (this.socket.write(bytes)) return true;
    await new Promise<void>((resolve) => {
      const done = () => {
        this.socket.off('drain', done);
        this.socket.off('close', done);
        resolve();
      };
      this.socket.on('drain', done);
      this.socket.on('close', done);
    });
    return !this.#isClosed;
  }

  /** Resolves once `condition` holds (checked on every arrival and on close). */
  async until(condition: () => boolean): Promise<void> {
    while (!condition()) {
      if (this.#isClosed) throw new Error('the receiver closed the connection first');
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }

  destroy(): void {
    this.socket.destroy();
  }

  #wake(): void {
    for (const wake of this.#waiters.splice(0)) wake();
  }
}
