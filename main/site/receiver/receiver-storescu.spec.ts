// The receiver against dcmtk's echoscu and storescu on loopback, with pydicom's test files and a real
// site (SQLite, de-identification engine) in a temp folder.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AuditLog } from '../audit/index.ts';
import { parseDicom, Tags, getString } from '../dicom/index.ts';
import { IngestLane } from '../ingest/index.ts';
import { ResearchIndex, type Site } from '../store/index.ts';
import { DicomReceiver, type ReceiverEvent, type ReceiverLimits } from './index.ts';
import { capturingLogger, echoscu, makeSite, storescu, TEST_FILES, writeVariants } from './test-peers.ts';

const PIXEL_DATA = 0x7fe00010;
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function startReceiver(options: { lane?: IngestLane; limits?: Partial<ReceiverLimits> } = {}) {
  const { root, site } = makeSite('receiver');
  const { logger, lines } = capturingLogger();
  const events: ReceiverEvent[] = [];
  const receiver = new DicomReceiver({
    site,
    settings: {
      host: '127.0.0.1',
      port: 0,
      aeTitle: 'RADFED',
      allowedCallingAeTitles: ['PACS', 'MODALITY1'],
    },
    logger,
    onEvent: (event) => events.push(event),
    ...options,
  });
  const { port } = await receiver.start();
  cleanups.push(async () => {
    await receiver.stop();
    site.database.close();
    rmSync(root, { recursive: true, force: true });
  });
  return { root, site, receiver, port, events, logs: lines };
}

/** A lane held by a task until `release()`: received files stay in quarantine to be looked at. */
function blockedLane() {
  const lane = new IngestLane();
  let release: () => void = () => undefined;
  void lane.run(() => new Promise<void>((resolve) => (release = resolve)));
  cleanups.push(() => release()); // run before the receiver's stop, which waits for the lane
  return { lane, release: () => release() };
}

const incoming = (site: Site) => readdirSync(join(site.paths.quarantine, 'incoming')).sort();
const answered = (events: ReceiverEvent[]) =>
  events.flatMap((event) => (event.type === 'instance-answered' ? [event.verdict.status] : []));

describe('DICOM receiver with dcmtk peers', () => {
  it('answers C-ECHO from an allowed AE', async () => {
    const { port, events } = await startReceiver();
    const echo = await echoscu(port);
    expect(echo.code, echo.stderr).toBe(0);
    expect(events.some((event) => event.type === 'echo' && event.callingAeTitle === 'PACS')).toBe(true);
  });

  it('writes each instance to quarantine as sent, pixel data byte for byte, before acknowledging it', async () => {
    const { lane, release } = blockedLane();
    const { site, port, receiver, events, logs } = await startReceiver({ lane });
    const sends = [
      { file: 'CT_small.dcm', extra: ['-xe'] }, // Explicit VR Little Endian
      { file: 'MR_small_bigendian.dcm', extra: ['-xb'] }, // Explicit VR Big Endian
      { file: 'MR_small_RLE.dcm', extra: ['-xr'] }, // RLE Lossless, encapsulated
      { file: 'image_dfl.dcm', extra: ['-xd'] }, // Deflated
    ];
    for (const { file, extra } of sends) {
      const result = await storescu(port, [join(TEST_FILES, file)], { extra });
      expect(result.code, `${file}: ${result.stderr}`).toBe(0);
    }
    expect(answered(events)).toEqual([0, 0, 0, 0]);

    // Acknowledged, not yet ingested (the lane is held): each one is a complete file on disk.
    const names = incoming(site);
    expect(names).toHaveLength(4);
    expect(names.every((name) => name.endsWith('.dcm'))).toBe(true);
    // Keyed by instance and syntax: pydicom's MR files share one SOP Instance UID.
    const key = (file: ReturnType<typeof parseDicom>) =>
      `${getString(file.dataset, Tags.SOPInstanceUID)} ${file.transferSyntax.uid}`;
    const received = new Map(
      names.map((name) => {
        const parsed = parseDicom(readFileSync(join(site.paths.quarantine, 'incoming', name)));
        return [key(parsed), parsed] as const;
      }),
    );
    for (const { file } of sends) {
      const source = parseDicom(readFileSync(join(TEST_FILES, file)));
      const copy = received.get(key(source));
      expect(copy, file).toBeDefined();
      const pixels = (file: typeof source) => {
        const element = file.dataset.get(PIXEL_DATA);
        return Buffer.from(element?.value ?? element?.encapsulated ?? new Uint8Array());
      };
      expect(pixels(source).length, file).toBeGreaterThan(0);
      expect(pixels(copy as typeof source).equals(pixels(source)), file).toBe(true);
    }
    // dcmtk reads the files as valid Part 10.
    for (const name of names)
      execFileSync('/usr/bin/dcmdump', ['-q', join(site.paths.quarantine, 'incoming', name)]);

    release();
    await receiver.whenIngested();
    const [run] = new AuditLog(site.database).list({ type: 'ingest.completed' });
    expect(run?.detail).toMatchObject({ files: 4, deidentified: 3, held: 1, failed: 0, rejected: 0 });
    // The one held for review (image_dfl.dcm, a screenshot that may carry burned-in text) stays in
    // quarantine where it was received, and its held entry names it; the others are gone from there.
    const held = new ResearchIndex(site.database).listHeld().map((entry) => entry.quarantineName);
    expect(held).toHaveLength(1);
    expect(incoming(site).map((name) => `incoming/${name}`)).toEqual(held);

    // Nothing identifying in the log: not the patient, not the original UIDs.
    const text = logs.join('');
    for (const { file } of sends) {
      const source = parseDicom(readFileSync(join(TEST_FILES, file)));
      for (const tag of [Tags.PatientName, Tags.PatientID, Tags.SOPInstanceUID, Tags.StudyInstanceUID]) {
        const value = getString(source.dataset, tag);
        if (value && value.length >= 4) expect(text).not.toContain(value);
      }
    }
  });

  it('refuses an association from an AE title not on the allow-list, and audits it', async () => {
    const { site, port, events } = await startReceiver();
    const result = await storescu(port, [join(TEST_FILES, 'CT_small.dcm')], { calling: 'INTRUDER' });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('Calling AE Title Not Recognized');
    const wrongCalled = await storescu(port, [join(TEST_FILES, 'CT_small.dcm')], { called: 'OTHER' });
    expect(wrongCalled.stderr).toContain('Called AE Title Not Recognized');

    expect(
      events.filter((event) => event.type === 'association-refused').map((event) => event.refusal),
    ).toEqual(['calling-ae-not-allowed', 'called-ae-not-recognized']);
    const audit = new AuditLog(site.database).list({ type: 'receiver.association-refused' });
    expect(audit.map((entry) => [entry.detail.callingAeTitle, entry.detail.reason])).toEqual([
      ['INTRUDER', 'calling-ae-not-allowed'],
      ['PACS', 'called-ae-not-recognized'],
    ]);
    expect(incoming(site)).toEqual([]);
    expect(new ResearchIndex(site.database).counts().instances).toBe(0);
  });

  it('stores every instance of a burst of 200 from one storescu association', async () => {
    const { root, site, port, receiver, events } = await startReceiver();
    const files = writeVariants(join(TEST_FILES, 'CT_small.dcm'), 200, join(root, 'burst'));
    const result = await storescu(port, files, { calling: 'MODALITY1' });
    expect(result.code, result.stderr).toBe(0);
    await receiver.whenIngested();
    expect(answered(events).filter((status) => status === 0)).toHaveLength(200);
    expect(new ResearchIndex(site.database).counts().instances).toBe(200);
    expect(incoming(site)).toEqual([]);
    const runs = new AuditLog(site.database).list({ type: 'ingest.completed' });
    expect(runs.reduce((sum, entry) => sum + Number(entry.detail.deidentified), 0)).toBe(200);
    expect(runs.every((entry) => entry.detail.source === 'dicom-receiver')).toBe(true);
    const association = new AuditLog(site.database).list({ type: 'receiver.association' });
    expect(association.map((entry) => [entry.detail.callingAeTitle, entry.detail.stored])).toEqual([
      ['MODALITY1', 200],
    ]);
  });

  it('keeps the ingest queue bounded: past it a fast sender is refused (A700), and all it was told is stored is', async () => {
    const { lane, release } = blockedLane();
    const { root, site, port, receiver, events } = await startReceiver({
      lane,
      limits: { maxQueuedFiles: 5, queueWaitMs: 100 },
    });
    const files = writeVariants(join(TEST_FILES, 'CT_small.dcm'), 12, join(root, 'flood'));
    await storescu(port, files, { extra: ['-nh'] }); // -nh: go on after a refusal
    const statuses = answered(events);
    expect(statuses.filter((status) => status === 0)).toHaveLength(5);
    expect(statuses.filter((status) => status === 0xa700)).toHaveLength(7);
    expect(incoming(site)).toHaveLength(5); // exactly the acknowledged ones; no partial files left
    release();
    await receiver.whenIngested();
    expect(new ResearchIndex(site.database).counts().instances).toBe(5);
  });

  it('leaves acknowledged files for the next start when stopped, which ingests them', async () => {
    const { lane, release } = blockedLane();
    const first = await startReceiver({ lane });
    const files = writeVariants(join(TEST_FILES, 'MR_small.dcm'), 3, join(first.root, 'mr'));
    expect((await storescu(first.port, files)).code).toBe(0);
    const stopping = first.receiver.stop();
    release();
    await stopping;
    expect(incoming(first.site)).toHaveLength(3);
    expect(new ResearchIndex(first.site.database).counts().instances).toBe(0);

    const started: ReceiverEvent[] = [];
    const withEvents = new DicomReceiver({
      site: first.site,
      settings: { host: '127.0.0.1', port: 0, aeTitle: 'RADFED', allowedCallingAeTitles: ['PACS'] },
      onEvent: (event) => started.push(event),
    });
    await withEvents.start();
    await withEvents.whenIngested();
    await withEvents.stop();
    expect(started[0]).toMatchObject({ type: 'listening', queuedFromBefore: 3 });
    expect(new ResearchIndex(first.site.database).counts().instances).toBe(3);
    expect(existsSync(join(first.site.paths.quarantine, 'incoming'))).toBe(true);
    expect(incoming(first.site)).toEqual([]);
  });
});
