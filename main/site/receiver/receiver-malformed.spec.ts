// Bad input over the wire. storescu only sends what it can read, so malformed instances come from a
// DIMSE client (dcmjs-dimse's) whose data set bytes or command UIDs are spoiled on purpose, and an
// oversized PDU from a raw socket.
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import dimse from 'dcmjs-dimse';
import { afterEach, describe, expect, it } from 'vitest';
import { ResearchIndex } from '../store/index.ts';
import { StoreStatus, type ReceiverLimits } from './index.ts';
import { PduType, RawPeer } from './raw-peer.ts';
import { startTestReceiver, storescu, TEST_FILES } from './test-peers.ts';

const CT_IMAGE_STORAGE = '1.2.840.10008.5.1.4.1.1.2';
// The client proposes Implicit VR Little Endian first, and we accept it: no transcoding on its side.
const IMPLICIT_LE = '1.2.840.10008.1.2';
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

const startReceiver = (limits: Partial<ReceiverLimits> = {}) =>
  startTestReceiver('malformed', cleanups, limits);

interface Answer {
  status: number;
  comment: string;
}

/** Sends one C-STORE with dcmjs-dimse's client, after `spoil` has had its way with the request. */
function sendSpoiled(port: number, spoil: (request: dimse.requests.CStoreRequest) => void) {
  const dataset = new dimse.Dataset(
    {
      SOPClassUID: CT_IMAGE_STORAGE,
      SOPInstanceUID: '1.2.826.0.1.3680043.10.1138.77.1',
      PatientName: 'Spoiled^Sample',
      PatientID: 'SPOIL01',
      StudyInstanceUID: '1.2.826.0.1.3680043.10.1138.77',
      SeriesInstanceUID: '1.2.826.0.1.3680043.10.1138.77.2',
      Modality: 'CT',
    },
    IMPLICIT_LE,
  );
  const request = new dimse.requests.CStoreRequest(dataset);
  spoil(request);
  return new Promise<Answer>((resolve, reject) => {
    const client = new dimse.Client();
    let answer: Answer | null = null;
    request.on('response', (response: dimse.responses.CStoreResponse) => {
      answer = { status: response.getStatus(), comment: response.getErrorComment() ?? '' };
    });
    client.addRequest(request);
    client.on('closed', () => (answer ? resolve(answer) : reject(new Error('no C-STORE response'))));
    client.on('networkError', (error: Error) => reject(error));
    client.send('127.0.0.1', port, 'PACS', 'RADFED');
  });
}

describe('DICOM receiver: bad instances and hostile senders', () => {
  it('refuses a data set that cannot be decoded (C000), with a reason, and keeps nothing', async () => {
    const { site, port, events } = await startReceiver();
    const answer = await sendSpoiled(port, (request) => {
      // An element header that claims 32 KiB of value, then two bytes.
      const garbage = Buffer.from([0x08, 0x00, 0x05, 0x00, 0x43, 0x53, 0xff, 0x7f, 0x01, 0x02]);
      const dataset = request.getDataset() as dimse.Dataset;
      dataset.getDenaturalizedDataset = () => garbage;
    });
    expect(answer.status).toBe(StoreStatus.CannotUnderstand);
    expect(answer.comment).toMatch(/could not be decoded/);
    expect(
      events.some((event) => event.type === 'instance-answered' && event.verdict.status === 0xc000),
    ).toBe(true);
    expect(readdirSync(join(site.paths.quarantine, 'incoming'))).toEqual([]);
    expect(new ResearchIndex(site.database).counts().instances).toBe(0);
  });

  it('refuses a data set that is not the instance its command announced', async () => {
    const { port } = await startReceiver();
    const otherInstance = await sendSpoiled(port, (request) =>
      request.setAffectedSopInstanceUid('1.2.826.0.1.3680043.10.1138.77.999'),
    );
    expect(otherInstance.status).toBe(StoreStatus.CannotUnderstand);
    expect(otherInstance.comment).toMatch(/another instance/);
    const otherClass = await sendSpoiled(port, (request) => {
      // Announced as MR; the data set says CT. The client proposes the class it announces.
      request.setAffectedSopClassUid('1.2.840.10008.5.1.4.1.1.4');
    });
    expect(otherClass.status).toBe(StoreStatus.DataSetDoesNotMatchSopClass);
  });

  it('stores a good instance from the same client (the spoiling is what fails above)', async () => {
    const { port, receiver, site } = await startReceiver();
    const answer = await sendSpoiled(port, () => undefined);
    expect(answer.status).toBe(StoreStatus.Success);
    await receiver.whenIngested();
    const counts = new ResearchIndex(site.database).counts();
    expect(counts.instances + counts.held + counts.rejected).toBe(1);
  });

  it('refuses an instance over the size limit (A700), reads the rest of it, and keeps nothing', async () => {
    const { site, port, events } = await startReceiver({ maxInstanceBytes: 4096 });
    const files = [join(TEST_FILES, 'CT_small.dcm'), join(TEST_FILES, 'rtplan.dcm')]; // 39 KB, then 2.5 KB
    const sent = await storescu(port, files, { extra: ['-nh', '-v'] }); // -v: print each response
    expect(sent.stdout + sent.stderr).toMatch(/Received Store Response \(Refused: OutOfResources\)/);
    const verdicts = events.flatMap((event) => (event.type === 'instance-answered' ? [event.verdict] : []));
    expect(verdicts.map((verdict) => verdict.status)).toEqual([
      StoreStatus.OutOfResources,
      StoreStatus.Success,
    ]);
    expect(verdicts[0]?.reason).toMatch(/larger than this receiver accepts/);
    expect(
      readdirSync(join(site.paths.quarantine, 'incoming')).filter((name) => name.endsWith('.part')),
    ).toEqual([]);
  });

  it('answers Out of Resources when the instance cannot be written to disk, and keeps serving', async () => {
    const { site, port, events } = await startReceiver();
    rmSync(join(site.paths.quarantine, 'incoming'), { recursive: true }); // as if the disk went away
    await storescu(port, [join(TEST_FILES, 'CT_small.dcm')]);
    const [verdict] = events.flatMap((event) => (event.type === 'instance-answered' ? [event.verdict] : []));
    expect(verdict).toEqual({
      status: StoreStatus.OutOfResources,
      reason: 'the instance could not be written to disk (ENOENT)',
    });
    expect(events.filter((event) => event.type === 'association-closed')).toHaveLength(1);
  });

  it('aborts a connection that announces an oversized PDU instead of buffering it', async () => {
    const { port, events } = await startReceiver();
    const peer = await RawPeer.connect(port);
    // A-ASSOCIATE-RQ header announcing 4 GiB - 1, then a little of it.
    await peer.send(Buffer.concat([Buffer.from([0x01, 0x00, 0xff, 0xff, 0xff, 0xff]), Buffer.alloc(1024)]));
    await peer.closed;
    expect(peer.receivedTypes).toEqual([PduType.Abort]);
    expect(events).toContainEqual(expect.objectContaining({ type: 'connection-cut', code: 'pdu-too-large' }));
  });
});
