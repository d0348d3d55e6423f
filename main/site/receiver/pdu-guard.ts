// A guard on the size of incoming PDUs (PS3.8 9.3). The DIMSE library gathers each PDU in memory
// before it parses it, trusting the 4-byte length in its header; a sender that announced a 4 GiB
// PDU would be buffered until memory ran out. The guard reads the same stream of headers and closes
// the connection as soon as one announces more than the association allows.
import type { Socket } from 'node:net';

const P_DATA_TF = 0x04;
/** Association and release PDUs: far below this even with every storage SOP class proposed. */
const OTHER_PDU_MAX = 1024 * 1024;

export interface PduGuardOptions {
  /** The largest P-DATA-TF variable field allowed (the negotiated Maximum Length Received). */
  maxPDataLength: () => number;
  onOversized(type: number, length: number): void;
}

export function guardPduSizes(socket: Socket, options: PduGuardOptions): void {
  let header = Buffer.alloc(0);
  let remaining = 0;
  let tripped = false;
  // Prepended, so it sees each chunk before the library buffers it.
  socket.prependListener('data', (chunk: Buffer) => {
    let offset = 0;
    while (!tripped && offset < chunk.length) {
      if (remaining > 0) {
        const take = Math.min(remaining, chunk.length - offset);
        remaining -= take;
        offset += take;
        continue;
      }
      const part = chunk.subarray(offset, offset + (6 - header.length));
      header = Buffer.concat([header, part]);
      offset += part.length;
      if (header.length < 6) return;
      const type = header[0] ?? 0;
      const length = header.readUInt32BE(2);
      header = Buffer.alloc(0);
      const max = type === P_DATA_TF ? options.maxPDataLength() : OTHER_PDU_MAX;
      if (length > max) {
        tripped = true;
        options.onOversized(type, length);
        return;
      }
      remaining = length;
    }
  });
}
