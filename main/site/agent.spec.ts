import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { SiteAgent } from './agent.ts';
import { initSite, SiteError } from './store/index.ts';

const TEST_FILES = '/usr/lib/python3/dist-packages/pydicom/data/test_files';
const CLOCK = () => new Date('2026-04-05T06:07:08Z');

function memoryLogger() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { logger: pino({ level: 'debug' }, stream), text: () => lines.join('') };
}

function newSite(deidOptions: string[] = []) {
  const dir = join(mkdtempSync(join(tmpdir(), 'radfed-agent-')), 'site');
  initSite(dir, { name: 'Agent test site', deidOptions: deidOptions as never[] });
  return dir;
}

// An export folder named after the patient, as PACS exports often are.
function exportFolder() {
  const dir = join(mkdtempSync(join(tmpdir(), 'radfed-agent-in-')), 'Smith^Anna 1CT1');
  mkdirSync(dir);
  copyFileSync(join(TEST_FILES, 'CT_small.dcm'), join(dir, 'CompressedSamples^CT1.dcm'));
  writeFileSync(join(dir, 'readme.txt'), 'not DICOM');
  return dir;
}

describe('SiteAgent', () => {
  it('reports the status of a new site: its settings and zero counts', () => {
    const dir = newSite(['retain-uids']);
    const agent = SiteAgent.open(dir, { clock: CLOCK });
    expect(agent.status()).toEqual({
      siteName: 'Agent test site',
      directory: dir,
      consentPolicy: 'not-set',
      deidOptions: ['retain-uids'],
      counts: { patients: 0, studies: 0, series: 0, instances: 0, held: 0, rejected: 0 },
      lastIngestAt: null,
    });
    agent.close();
    agent.close(); // closing twice is harmless
  });

  it('ingests and then counts what it stored, with the time of the run', async () => {
    const agent = SiteAgent.open(newSite(), { clock: CLOCK });
    const seen: string[] = [];
    const summary = await agent.ingest(exportFolder(), (_done, _total, outcome) => seen.push(outcome.status));
    expect(summary).toMatchObject({ files: 2, deidentified: 1, rejected: 1 });
    expect(seen.sort()).toEqual(['deidentified', 'rejected']);
    expect(agent.status()).toMatchObject({
      counts: { patients: 1, studies: 1, series: 1, instances: 1, held: 0, rejected: 1 },
      lastIngestAt: '2026-04-05T06:07:08.000Z',
    });
    expect(agent.audit.verify()).toEqual({ ok: true, entries: 2 });
    agent.close();
  });

  it('runs two ingests of the same files one after the other, so each file is processed once', async () => {
    const dir = newSite();
    const agent = SiteAgent.open(dir, { clock: CLOCK });
    const input = exportFolder();
    const [a, b] = await Promise.all([agent.ingest(input), agent.ingest(input)]);
    expect(a).toMatchObject({ deidentified: 1, rejected: 1, alreadyIngested: 0 });
    expect(b).toMatchObject({ deidentified: 0, rejected: 0, alreadyIngested: 2 });
    expect(readdirSync(join(dir, 'quarantine'))).toEqual([]);
    agent.close();
  });

  it('logs counts, never a patient value or an input path', async () => {
    const { logger, text } = memoryLogger();
    const agent = SiteAgent.open(newSite(), { clock: CLOCK, logger });
    await agent.ingest(exportFolder());
    agent.close();
    const log = text();
    expect(log).toContain('ingest completed');
    for (const value of ['CompressedSamples', 'CT1', '1CT1', 'Smith', 'Anna', 'readme', 'radfed-agent-in-']) {
      expect(log, `log holds ${value}`).not.toContain(value);
    }
  });

  it('refuses a folder that is not a site, saying how to make one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'radfed-agent-none-'));
    expect(() => SiteAgent.open(dir)).toThrow(SiteError);
    expect(() => SiteAgent.open(dir)).toThrow(/radfed site init --dir/);
  });

  it('refuses at open a site.json naming an unknown de-identification option', () => {
    const dir = newSite();
    const config = JSON.parse(readFileSync(join(dir, 'site.json'), 'utf8'));
    writeFileSync(join(dir, 'site.json'), JSON.stringify({ ...config, deidOptions: ['keep-everything'] }));
    expect(() => SiteAgent.open(dir)).toThrow(/Unknown de-identification option "keep-everything"/);
  });
});
