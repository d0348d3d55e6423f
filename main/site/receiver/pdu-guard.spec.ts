// The guard's reading of the upper layer byte stream, fed by hand: what it counts as held in memory,
// what it lets stream to disk, and that how the bytes are cut into chunks changes nothing.
import { describe, expect, it } from 'vitest';
import { commandField, PduReader, type GuardTrip } from './pdu-guard.ts';
import { associateRequest, pDataFragment } from './raw-peer.ts';

const MAX_MESSAGE = 64 * 1024;

/** A command set holding only its Command Field (Implicit VR Little Endian, PS3.7 6.3.1). */
function commandSet(field: number): Buffer {
  const element = Buffer.alloc(10);
  element.writeUInt16LE(0x0000, 0);
  element.writeUInt16LE(0x0100, 2);
  element.writeUInt32LE(2, 4);
  element.writeUInt16LE(field, 8);
  return element;
}

function reader() {
  const trips: GuardTrip[] = [];
  const guard = new PduReader({
    maxPDataLength: () => 256 * 1024,
    maxMessageBytes: MAX_MESSAGE,
    onTripped: (trip) => trips.push(trip),
  });
  return { guard, trips };
}

const fragments = (count: number, options: { command: boolean; last: boolean }) =>
  Array.from({ length: count }, () => pDataFragment(Buffer.alloc(16 * 1024, 7), options));

describe('PDU guard', () => {
  it('lets a C-STORE data set of any length through: it goes to disk, not memory', () => {
    const { guard, trips } = reader();
    const stream = [
      associateRequest('PACS', 'RADFED'),
      pDataFragment(commandSet(0x0001), { command: true, last: true }),
      ...fragments(64, { command: false, last: false }), // 1 MiB
      pDataFragment(Buffer.alloc(10), { command: false, last: true }),
    ];
    for (const chunk of stream) guard.read(chunk);
    expect(trips).toEqual([]);
    expect(guard.peakHeldBytes).toBeLessThan(17 * 1024);
    expect(guard.heldBytes).toBe(0);
  });

  it('counts a data set the library keeps in memory (after a C-ECHO command) and trips past the limit', () => {
    const { guard, trips } = reader();
    guard.read(pDataFragment(commandSet(0x0030), { command: true, last: true }));
    for (const chunk of fragments(8, { command: false, last: false })) guard.read(chunk);
    expect(trips.map((trip) => trip.code)).toEqual(['message-too-large']);
  });

  it('trips on a command that never ends, with what is held bounded by the limit and one fragment', () => {
    const { guard, trips } = reader();
    let read = 0;
    for (const chunk of fragments(100, { command: true, last: false })) {
      if (!guard.read(chunk)) break;
      read += 1;
    }
    expect(read).toBe(4); // 64 KiB exactly is allowed; the fifth fragment goes past it
    expect(trips).toEqual([
      expect.objectContaining({ code: 'message-too-large', messageBytes: 65536 + 16384 }),
    ]);
    expect(guard.peakHeldBytes).toBeLessThanOrEqual(MAX_MESSAGE + 2 * (16 * 1024 + 12));
  });

  it('reads the same however the stream is cut into chunks', () => {
    const stream = Buffer.concat([
      pDataFragment(commandSet(0x0001), { command: true, last: true }),
      ...fragments(6, { command: false, last: false }),
      pDataFragment(commandSet(0x0030), { command: true, last: false }),
      ...fragments(5, { command: true, last: false }),
    ]);
    const whole = reader();
    whole.guard.read(stream);
    const bytewise = reader();
    for (let i = 0; i < stream.length && bytewise.guard.read(stream.subarray(i, i + 1)); i += 1);
    expect(whole.trips.map((trip) => trip.code)).toEqual(['message-too-large']);
    // Byte by byte it trips on the first byte past the limit, in the same fragment.
    expect(bytewise.trips.map((trip) => trip.code)).toEqual(['message-too-large']);
    expect(bytewise.guard.peakHeldBytes).toBeLessThanOrEqual(whole.guard.peakHeldBytes);
  });

  it('trips on an oversized PDU and on PDV items that run past their PDU', () => {
    const oversized = reader();
    oversized.guard.read(Buffer.from([0x04, 0x00, 0x7f, 0xff, 0xff, 0xff]));
    expect(oversized.trips).toEqual([expect.objectContaining({ code: 'pdu-too-large', length: 0x7fffffff })]);
    const malformed = reader();
    const pdu = pDataFragment(Buffer.alloc(8), { command: true, last: false });
    pdu.writeUInt32BE(100, 6); // the PDV item claims more than its PDU holds
    malformed.guard.read(pdu);
    expect(malformed.trips.map((trip) => trip.code)).toEqual(['malformed-pdata']);
  });

  it('finds the Command Field in a command set, or says it cannot', () => {
    const other = Buffer.alloc(12);
    other.writeUInt16LE(0x0002, 2); // (0000,0002) with 4 bytes of value, then the Command Field
    other.writeUInt32LE(4, 4);
    expect(commandField(Buffer.concat([other, commandSet(0x8001)]))).toBe(0x8001);
    expect(commandField(Buffer.alloc(5))).toBeNull();
  });
});
