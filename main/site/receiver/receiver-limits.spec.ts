// Senders that try to hold the receiver, on real sockets: silent, trickling, a crowd of idle
// connections, a command that never ends. Limits are made small here; the assertions are about
// what happened (closed, aborted, what was held), not about how fast.
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AuditLog } from '../audit/index.ts';
import { StoreStatus, type ReceiverEvent, type ReceiverLimits } from './index.ts';
import { associateRequest, pDataFragment, PduType, RawPeer } from './raw-peer.ts';
import { startTestReceiver, storescu, TEST_FILES } from './test-peers.ts';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

const startReceiver = (limits: Partial<ReceiverLimits> = {}) => startTestReceiver('limits', cleanups, limits);

async function connectPeer(port: number): Promise<RawPeer> {
  const peer = await RawPeer.connect(port);
  cleanups.push(() => peer.destroy());
  return peer;
}

const cuts = (events: ReceiverEvent[]) =>
  events.flatMap((event) => (event.type === 'connection-cut' ? [event] : []));

describe('DICOM receiver: time and memory limits per connection', () => {
  it('closes a connection that never asks to associate once the negotiation limit has passed', async () => {
    const { site, port, events } = await startReceiver({ negotiationTimeoutMs: 300 });
    const peer = await connectPeer(port);
    await peer.closed; // before the fix: held for the library's fixed 180 s of silence
    expect(cuts(events)).toEqual([
      expect.objectContaining({ code: 'no-association-request', remoteAddress: '127.0.0.1' }),
    ]);
    const [entry] = new AuditLog(site.database).list({ type: 'receiver.connection-cut' });
    expect(entry?.detail).toMatchObject({
      reason: 'no-association-request',
      explanation: 'it sent no association request within 300 ms',
    });
  });

  it('closes a connection trickling its association request past the negotiation limit', async () => {
    const { port, events } = await startReceiver({ negotiationTimeoutMs: 300 });
    const peer = await connectPeer(port);
    const request = associateRequest('PACS', 'RADFED');
    let sent = 0;
    while (sent < request.length - 1 && (await peer.send(request.subarray(sent, sent + 1)))) {
      sent += 1;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(peer.isClosed, `still open after ${sent} bytes over ${sent * 50} ms`).toBe(true);
    expect(cuts(events).map((cut) => cut.code)).toEqual(['no-association-request']);
  });

  it('aborts an association that goes silent for the idle limit (A-ABORT)', async () => {
    const { port, events } = await startReceiver({ idleTimeoutMs: 300 });
    const peer = await connectPeer(port);
    expect(await peer.associate('PACS')).toBe(PduType.AssociateAc);
    await peer.closed;
    expect(peer.receivedTypes).toEqual([PduType.AssociateAc, PduType.Abort]);
    expect(cuts(events).map((cut) => cut.code)).toEqual(['idle']);
    expect(events).toContainEqual(expect.objectContaining({ type: 'association-closed', how: 'cut' }));
  });

  it('does not count as idle the time a sender waits for our answer', async () => {
    // The ingest queue has no room: each instance waits 1 s for it before its answer, 5 idle limits.
    const { port, events } = await startReceiver({
      idleTimeoutMs: 200,
      maxQueuedFiles: 0,
      queueWaitMs: 1000,
    });
    await storescu(port, [join(TEST_FILES, 'CT_small.dcm')]);
    expect(events).toContainEqual(
      expect.objectContaining({
        type: 'instance-answered',
        verdict: expect.objectContaining({ status: StoreStatus.OutOfResources }),
      }),
    );
    expect(cuts(events)).toEqual([]);
    expect(events).toContainEqual(expect.objectContaining({ type: 'association-closed', how: 'released' }));
  });

  it('aborts a sender trickling a byte at a time once the association has lasted its total limit', async () => {
    const { port, events } = await startReceiver({ idleTimeoutMs: 5000, maxAssociationMs: 600 });
    const peer = await connectPeer(port);
    expect(await peer.associate('PACS')).toBe(PduType.AssociateAc);
    // One P-DATA PDU, a byte every 50 ms: never idle, never a whole PDU (so no PDU timer trips).
    const slowPdu = pDataFragment(Buffer.alloc(4096), { command: true, last: false });
    let sent = 0;
    while (sent < 300 && (await peer.send(slowPdu.subarray(sent, sent + 1)))) {
      sent += 1;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(peer.isClosed, `still open after ${sent} bytes over ${sent * 50} ms`).toBe(true);
    expect(cuts(events).map((cut) => cut.code)).toEqual(['too-long']);
    expect(cuts(events)[0]?.reason).toBe('the association went on longer than the 600 ms allowed');
  });

  it('still lets a real sender in when every connection slot is held by a silent socket', async () => {
    const { port, events } = await startReceiver(); // default limits: silence is allowed 10 s
    const silent = await Promise.all(Array.from({ length: 12 }, () => connectPeer(port)));
    const sent = await storescu(port, [join(TEST_FILES, 'CT_small.dcm')]);
    expect(sent.code, sent.stderr).toBe(0);
    expect(events).toContainEqual(
      expect.objectContaining({ type: 'instance-answered', verdict: expect.objectContaining({ status: 0 }) }),
    );
    // The oldest silent connection gave up its place; the others are still there.
    expect(cuts(events).map((cut) => cut.code)).toEqual(['made-room']);
    await silent[0]?.closed;
    expect(silent.filter((peer) => peer.isClosed)).toHaveLength(1);
  });

  it('still lets a real sender in when every slot is held by refused senders that do not hang up', async () => {
    const { port, events } = await startReceiver();
    const refused = await Promise.all(
      Array.from({ length: 12 }, async () => {
        const peer = await connectPeer(port);
        expect(await peer.associate('INTRUDER')).toBe(PduType.AssociateRj);
        return peer;
      }),
    );
    const sent = await storescu(port, [join(TEST_FILES, 'CT_small.dcm')]);
    expect(sent.code, sent.stderr).toBe(0);
    // A refused connection is dropped 1 s after its A-ASSOCIATE-RJ anyway; until then it gives way.
    expect(cuts(events).every((cut) => cut.code === 'made-room')).toBe(true);
    await refused[0]?.closed;
  });

  it('aborts an allowed sender whose command never ends, holding no more than the message limit', async () => {
    const maxMessageBytes = 64 * 1024;
    const { site, port, events } = await startReceiver({ maxMessageBytes });
    const peer = await connectPeer(port);
    expect(await peer.associate('PACS')).toBe(PduType.AssociateAc);
    // 16 KiB command fragments, none marked last, up to 64 MiB: before the fix all of it was held.
    const fragment = pDataFragment(Buffer.alloc(16 * 1024, 0x20), { command: true, last: false });
    let sent = 0;
    while (sent < 64 * 1024 * 1024 && (await peer.send(fragment))) sent += fragment.length;
    await peer.closed;
    const [cut] = cuts(events);
    expect(cut).toMatchObject({ code: 'message-too-large', callingAeTitle: 'PACS' });
    // The guard's bound of what the library held: the message limit plus one fragment in flight.
    expect(cut?.heldBytes).toBeLessThanOrEqual(maxMessageBytes + 2 * fragment.length);
    const [entry] = new AuditLog(site.database).list({ type: 'receiver.connection-cut' });
    expect(entry?.detail).toMatchObject({
      callingAeTitle: 'PACS',
      reason: 'message-too-large',
      explanation: `one DIMSE message grew past ${maxMessageBytes} bytes without its last fragment`,
    });
  });

  it('keeps storing normally under these limits (a C-STORE data set is streamed, not held)', async () => {
    // A 4 KiB message limit, and a 39 KB instance.
    const { port, events } = await startReceiver({ maxMessageBytes: 4096 });
    const sent = await storescu(port, [join(TEST_FILES, 'CT_small.dcm')]);
    expect(sent.code, sent.stderr).toBe(0);
    const statuses = events.flatMap((event) =>
      event.type === 'instance-answered' ? [event.verdict.status] : [],
    );
    expect(statuses).toEqual([StoreStatus.Success]);
    expect(cuts(events)).toEqual([]);
  });
});
