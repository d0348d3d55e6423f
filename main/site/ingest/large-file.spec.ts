// Ingest reads a big image in pieces and de-identifies it from its header: the real command, in a
// child process, on a 1.5 GB CT (sparse: a few kilobytes on disk) stays far below the file's size in
// memory. And for ordinary files the research copy carries exactly the data set the whole-file path
// gives (only the file meta's padding, which lets a header be written over a copy, may differ).
import { closeSync, mkdirSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pixelPattern, SECRET, workFolder, writeCtFile } from '../batch/test-files.ts';
import { deidentifyInstance, parseDeidOptions } from '../deid/index.ts';
import { pydicomTestFiles } from '../robustness/pydicom-files.ts';
import { initSite, openSite, ResearchIndex } from '../store/index.ts';
import { ingestPath } from './index.ts';
import { FAKE_PATIENT, filesContaining, runRadfedChild, writeSparseCt } from './test-ingest-support.ts';

const work = workFolder('ingest-large');

/** The data set of a Part 10 file: the bytes after its file meta (group 0002, explicit VR, its length first). */
function datasetBytes(file: Uint8Array): Buffer {
  const bytes = Buffer.from(file);
  const groupLength = bytes.readUInt32LE(128 + 4 + 8);
  return bytes.subarray(128 + 4 + 12 + groupLength);
}

describe('ingest of a large file', () => {
  it('stores a 1.5 GB image with the memory of a small one, and its pixel data intact', async () => {
    const site = join(work, 'site-large');
    initSite(site, { name: 'large', deidOptions: [], consentPolicy: 'opt-out' });
    const input = join(work, 'large-in');
    mkdirSync(input);
    const pixelBytes = 1_500_000_000;
    const size = writeSparseCt(join(input, 'HOLLOWAY big.dcm'), 5, pixelBytes);
    const run = await runRadfedChild(work, ['site', 'ingest', '--dir', site, input]);
    // The command itself (Node, tsx, every module) takes about 200 MB; the file would add 1.5 GB.
    expect(run.maxRssKiB).toBeGreaterThan(0);
    expect(run.maxRssKiB * 1024).toBeLessThan(300_000_000);
    expect(run.err).toContain('1 file: 1 stored');
    expect(run.status).toBe(0);

    const opened = openSite(site);
    try {
      const path = opened.database.prepare('SELECT path FROM instances').pluck().get() as string;
      const stored = join(opened.paths.research, ...path.split('/'));
      // The de-identified header, then the source's pixel data: its first bytes are the source's.
      const headerLength = statSync(stored).size - pixelBytes;
      expect(headerLength).toBeGreaterThan(0);
      expect(headerLength).toBeLessThanOrEqual(size - pixelBytes + 1024);
      const firstPixels = Buffer.alloc(16);
      const fd = openSync(stored, 'r');
      readSync(fd, firstPixels, 0, 16, headerLength);
      closeSync(fd);
      expect(firstPixels).toEqual(Buffer.from(pixelPattern(5, 16)));
      expect(filesContaining(opened.paths.research, FAKE_PATIENT)).toEqual([]);
      expect(filesContaining(opened.paths.quarantine, FAKE_PATIENT)).toEqual([]);
    } finally {
      opened.database.close();
    }
  }, 300_000);
});

describe('ingest from the header', () => {
  it('stores the data set the whole-file path gives, for synthetic slices and the pydicom test set', async () => {
    const input = join(work, 'equal-in');
    mkdirSync(input);
    const ct = (
      name: string,
      ...args: Parameters<typeof writeCtFile> extends [string, ...infer R] ? R : never
    ) => {
      writeCtFile(join(input, name), ...args);
      return join(input, name);
    };
    const files = [
      ct('small.dcm', 1, 2_000),
      ct('slice.dcm', 2, 300_000),
      // A private attribute longer than the first read: the header needs the second, longer read;
      // and one whose file is no longer than that read, so read whole.
      ct('long-header.dcm', 3, 6_000_000, 1, 200_000),
      ct('long-header-small.dcm', 6, 300_000, 1, 80_000),
      ct('big.dcm', 4, 6_000_000, 2, 2_000),
      ...pydicomTestFiles(),
    ];
    const site = join(work, 'site-equal');
    initSite(site, { name: 'equal', deidOptions: [], consentPolicy: 'opt-out' });
    const opened = openSite(site);
    const settings = { secret: opened.secret, options: parseDeidOptions(opened.config.deidOptions) };
    expect(opened.secret).not.toEqual(SECRET);
    const index = new ResearchIndex(opened.database);
    let compared = 0;
    try {
      for (const file of files) {
        const whole = deidentifyInstance(readFileSync(file), settings);
        let status: string | undefined;
        await ingestPath(opened, file, { onProgress: (_d, _t, outcome) => (status = outcome.status) });
        if (whole.status !== 'deidentified' || whole.instance === null || whole.output === null) {
          // Held or rejected whole, held or rejected by ingest too (or already seen: a duplicate).
          expect([whole.status, 'already-ingested', 'excluded']).toContain(status);
          continue;
        }
        if (status === 'already-ingested') continue;
        expect(status).toBe('deidentified');
        const path = index.instancePath(whole.instance.sopInstanceUid) as string;
        const stored = readFileSync(join(opened.paths.research, ...path.split('/')));
        expect(datasetBytes(stored).equals(datasetBytes(Buffer.concat(whole.output)))).toBe(true);
        compared += 1;
      }
    } finally {
      opened.database.close();
    }
    expect(compared).toBeGreaterThanOrEqual(4);
  }, 300_000);
});
