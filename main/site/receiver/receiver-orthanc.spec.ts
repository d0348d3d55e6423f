// Orthanc (Debian's) as the PACS: synthesized studies are uploaded to it over REST, then pushed to
// our receiver with C-STORE (POST /modalities/radfed/store), and also sent by storescu as folders.
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditLog } from '../audit/index.ts';
import { ResearchIndex, type Site } from '../store/index.ts';
import { synthesizeStudies, type SynthResult } from '../synth/index.ts';
import { DicomReceiver, type ReceiverEvent } from './index.ts';
import {
  capturingLogger,
  makeSite,
  ORTHANC,
  startOrthanc,
  storescu,
  type OrthancPeer,
} from './test-peers.ts';

describe.skipIf(!existsSync(ORTHANC))('DICOM receiver with Orthanc as the PACS', () => {
  let root: string;
  let site: Site;
  let receiver: DicomReceiver;
  let port: number;
  let orthanc: OrthancPeer;
  let corpus: SynthResult;
  const events: ReceiverEvent[] = [];
  const { logger, lines } = capturingLogger();

  beforeAll(async () => {
    ({ root, site } = makeSite('orthanc'));
    receiver = new DicomReceiver({
      site,
      settings: {
        host: '127.0.0.1',
        port: 0,
        aeTitle: 'RADFED',
        allowedCallingAeTitles: ['ORTHANC', 'PACS'],
      },
      logger,
      onEvent: (event) => events.push(event),
    });
    ({ port } = await receiver.start());
    orthanc = await startOrthanc(join(root, 'orthanc'), port);
    corpus = await synthesizeStudies({
      outDir: join(root, 'synth'),
      sites: 2,
      patients: 1,
      seed: 41,
      ctSlices: 3,
      ctMatrix: 32,
      radiographSize: 64,
    });
  });

  afterAll(async () => {
    await orthanc?.stop();
    await receiver?.stop();
    site?.database.close();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('stores a study Orthanc pushes with C-STORE', async () => {
    const siteOne = corpus.files.filter((file) => file.site === 'site-01');
    const studies = new Set<string>();
    for (const file of siteOne) studies.add(await orthanc.upload(readFileSync(file.path)));
    const pushed = await orthanc.push([...studies]);
    expect(pushed.ok, pushed.body).toBe(true);
    await receiver.whenIngested();

    const fromOrthanc = events.filter(
      (event) => event.type === 'instance-answered' && event.callingAeTitle === 'ORTHANC',
    );
    expect(fromOrthanc).toHaveLength(siteOne.length);
    const counts = new ResearchIndex(site.database).counts();
    expect(counts.instances + counts.held).toBe(siteOne.length);
    expect(counts.instances).toBeGreaterThan(0);
    expect(readdirSync(join(site.paths.quarantine, 'incoming')).length).toBe(counts.held);
    const association = new AuditLog(site.database).list({ type: 'receiver.association' });
    expect(association.some((entry) => entry.detail.callingAeTitle === 'ORTHANC')).toBe(true);
  });

  it("stores the other site's studies sent as folders by storescu, and leaks no planted identifier", async () => {
    const siteTwo = corpus.studies.filter((study) => study.site === 'site-02').map((study) => study.dir);
    const sent = await storescu(port, siteTwo, { extra: ['+sd', '+r'] });
    expect(sent.code, sent.stderr).toBe(0);
    await receiver.whenIngested();
    const counts = new ResearchIndex(site.database).counts();
    expect(counts.instances + counts.held).toBe(corpus.files.length);

    // Every fake patient value the generator planted stays out of the log, the audit log and the
    // site's file names.
    const planted = new Set(
      corpus.files.flatMap((file) => file.planted).filter((value) => value.length >= 6),
    );
    expect(planted.size).toBeGreaterThan(10);
    const audit = JSON.stringify(new AuditLog(site.database).list());
    const names = readdirSync(site.directory, { recursive: true }).join('\n');
    const log = lines.join('');
    for (const value of planted) {
      expect(log).not.toContain(value);
      expect(audit).not.toContain(value);
      expect(names).not.toContain(value);
    }
  });
});
