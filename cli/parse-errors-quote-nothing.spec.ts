// Every door where a file or a request is parsed, fed input that holds a patient's name (DOE^JOHN) and
// ID (PID-7731) in the places a parser quotes back: a JSON syntax error next to them, an unknown key
// named after them, a cell shifted into the label column, the file's own path. Whatever comes out (the
// error's sentence, the report, the terminal text, the audit log, the hub's answer) must name neither.
// Before: the task file's error quoted JSON.parse's window of the text and zod's unknown key; the labels
// import named its file's path and printed unmatched keys and unknown labels.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { Writable } from 'node:stream';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hubPaths } from '../shared/federation/index.ts';
import { hubHttp } from '../shared/node/federation/index.ts';
import { createLogger, type LogRoom } from '../shared/node/index.ts';
import { readSettingsLayer } from '../main/app/settings/index.ts';
import { createIpcDispatcher } from '../main/site/console/index.ts';
import { federationPaths, loadEnrollment } from '../main/site/federation/index.ts';
import { AuditLog } from '../main/site/audit/index.ts';
import { writeCtFile } from '../main/site/batch/test-files.ts';
import { parseDicom } from '../main/site/dicom/index.ts';
import {
  importLabelsFile,
  parseTaskDefinition,
  readTaskFile,
  TaskStore,
  type LabelImportReport,
} from '../main/site/cohort/index.ts';
import { SiteConsent } from '../main/site/consent/index.ts';
import { initSite, openSite, readSiteConfig, sitePaths, type Site } from '../main/site/store/index.ts';
import { initHub, readHubConfig, readStoreChoice } from '../hub/index.ts';
import { enrollTestSite, makeTestHub, type TestHub } from '../hub/testing/test-hub.ts';
import { describeImport } from './site-cohort-commands.ts';

const NAME = 'DOE^JOHN';
const ID = 'PID-7731';

function expectNeither(value: unknown, where: string): void {
  const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  // Not '7731' on its own: hashes and times in an audit entry or an answer hold digits by chance.
  for (const planted of [NAME, 'DOE', ID]) {
    expect(text.includes(planted), `${planted} in ${where}: ${text}`).toBe(false);
  }
}

/** The error a call throws (it must throw). */
function thrown(call: () => unknown): Error {
  try {
    call();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the call to throw');
}

async function rejected(call: () => Promise<unknown>): Promise<Error> {
  try {
    await call();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the call to reject');
}

/** Every line the site's and the hub's loggers wrote, at the most they ever say (debug). */
const logged: string[] = [];
const logger = (room: LogRoom) =>
  createLogger({
    room,
    defaultLevel: 'debug',
    destination: new Writable({
      write(chunk: Buffer, _encoding, done) {
        logged.push(chunk.toString());
        done();
      },
    }),
  });
afterAll(() => {
  expect(logged.length).toBeGreaterThan(0);
  expectNeither(logged.join(''), 'the logs');
});

const root = mkdtempSync(join(tmpdir(), 'radfed-parse-errors-'));
// Neither the folder the files lie in nor a file's name may be named: a hospital export is named so.
const patientFolder = join(root, `${NAME} ${ID}`);
mkdirSync(patientFolder);
afterAll(() => rmSync(root, { recursive: true, force: true }));

function write(name: string, text: string | Uint8Array): string {
  const path = join(patientFolder, name);
  writeFileSync(path, text);
  return path;
}

let site: Site;
beforeAll(() => {
  const dir = join(root, 'site');
  initSite(dir, { name: 'Parse test site', deidOptions: [], consentPolicy: 'opt-out' });
  site = openSite(dir);
  new TaskStore(site.database).add(
    parseTaskDefinition({ id: 'chest-nodule', name: 'Lung nodule', labels: ['normal', 'nodule'] }),
  );
});
afterAll(() => site.database.close());

describe('a task definition file', () => {
  it('says where its JSON goes wrong (line and column), not what is there', () => {
    const error = thrown(() => readTaskFile(write('task.json', `{\n  "name": ${NAME} ${ID}\n}`)));
    // The task file's path is the coordinator's, not the export's: only its content is checked here.
    expectNeither(error.message.replace(patientFolder, '<folder>'), 'the error');
    expect(error.message).toMatch(/is not valid JSON: it goes wrong at line 2, column 11\. Fix it/);
  });

  it('counts a field it does not know, and does not name it', () => {
    const task = { id: 'chest', name: 'Chest', labels: ['a', 'b'], [`${NAME} ${ID}`]: true };
    const error = thrown(() => parseTaskDefinition(task));
    expectNeither(error.message, 'the error');
    expect(error.message).toMatch(
      /the top level: has a field that does not belong here \(not named here: a name may be a value\); remove it/,
    );
  });
});

describe('a labels CSV', () => {
  it('names neither the file nor its folder when it cannot be read or decoded', () => {
    const missing = thrown(() => importLabelsFile(site, join(patientFolder, 'labels.csv')));
    expectNeither(missing.message, 'the error');
    expect(missing.message).toBe(
      'The labels file cannot be read (ENOENT). Check the path and that this user may read it.',
    );
    const utf16 = Buffer.from(`\uFEFFaccession_number,label\n${ID},normal\n`, 'utf16le');
    const decoded = thrown(() => importLabelsFile(site, write('utf16.csv', utf16)));
    expect(decoded.message).toMatch(/^The labels file is UTF-16 text/);
    expectNeither([missing.message, decoded.message], 'the errors');
  });

  it('reports unmatched keys and unknown labels by line, in the report, the terminal and the audit log', () => {
    const csv = write('labels.csv', `accession_number,label\n${ID},normal\nACC-1,${NAME}\n`);
    const report: LabelImportReport = importLabelsFile(site, csv);
    expectNeither(report, 'the report');
    expect(report.unmatched).toEqual([{ line: 2 }]);
    expect(report.badLabel).toEqual([{ line: 3 }]);
    const terminal = describeImport(report);
    expect(terminal).toContain('no de-identified study: lines 2');
    expect(terminal).toContain("not in the task's label set (normal, nodule), not applied: lines 3");
    expectNeither(terminal, 'the terminal');
    expectNeither(new AuditLog(site.database).list(), 'the audit log');
  });
});

describe('a consent export', () => {
  it('names its problems by line, never the file or a cell', async () => {
    const consent = new SiteConsent(site, { logger: logger('site') });
    const csv = write(
      'consent.csv',
      `patient_id,status,date\n${ID},${NAME},2024-01-01\n${NAME},granted,${ID}\n`,
    );
    const problems = await rejected(() => consent.importCsv(csv));
    expect(problems.message).toMatch(/The consent file has 2 problems; nothing was imported/);
    const missing = await rejected(() => consent.importCsv(join(patientFolder, 'missing.csv')));
    expectNeither([problems, problems.message, missing.message], 'the errors');
    expectNeither(new AuditLog(site.database).list(), 'the audit log');
  });
});

describe('site.json read at start', () => {
  it('refuses a damaged one without quoting it', () => {
    const dir = join(root, 'damaged-site');
    initSite(dir, { name: 'Damaged', deidOptions: [], consentPolicy: 'opt-out' });
    const paths = sitePaths(dir);
    writeFileSync(paths.config, `{"name": ${NAME}, "id": "${ID}"}`);
    const syntax = thrown(() => readSiteConfig(paths));
    writeFileSync(paths.config, JSON.stringify({ schemaVersion: 1, name: NAME, consentPolicy: ID }));
    const shape = thrown(() => readSiteConfig(paths));
    expect(shape.message).toMatch(/is not a valid site configuration/);
    expectNeither([syntax.message, shape.message], 'the errors');
  });
});

describe("the site's other files read at start", () => {
  it('refuses a damaged enrollment and settings file without quoting them', () => {
    const dir = join(root, 'site');
    const paths = federationPaths(dir);
    mkdirSync(join(paths.hubFile, '..'), { recursive: true });
    writeFileSync(paths.hubFile, `{"siteName": ${NAME} ${ID}}`);
    const enrollment = thrown(() => loadEnrollment(dir));
    const settings = readSettingsLayer(
      write('settings.json', `{\n "site.name": ${NAME} ${ID}\n}`),
      'policy file',
    );
    expect(settings.problems.join(' ')).toMatch(/goes wrong at line 2, column 15/);
    // The paths are the site's and IT's own; only what the files hold is checked here.
    const ownPaths = [patientFolder, paths.hubFile];
    const said = [enrollment.message, ...settings.problems].map((text) =>
      ownPaths.reduce((out, path) => out.split(path).join('<path>'), text),
    );
    expectNeither(said, 'the errors');
  });
});

describe('hub.json and store.json read at start', () => {
  it('refuses damaged ones without quoting them', async () => {
    const dir = join(root, 'hub');
    await initHub({ dir, name: 'parse test hub' });
    writeFileSync(join(dir, 'store.json'), `{"database": ${NAME} ${ID}}`);
    const store = thrown(() => readStoreChoice(dir));
    writeFileSync(join(dir, 'hub.json'), `{"name": ${NAME} ${ID}}`);
    const config = thrown(() => readHubConfig(dir));
    expectNeither([store.message, config.message], 'the errors');
  });
});

describe("the site agent's requests (IPC and the local web UI)", () => {
  it('answers a payload it refuses by path and expected type', async () => {
    const dispatch = createIpcDispatcher({} as Parameters<typeof createIpcDispatcher>[0], {
      logger: logger('site'),
    });
    // A patient ID where a field name should be: zod's own words would name it.
    const unknownKey = await dispatch('consent:withdraw-preview', { patientId: 'X', [`${NAME} ${ID}`]: 1 });
    expect(unknownKey).toMatchObject({ ok: false, error: { code: 'invalid-payload' } });
    const tooLong = await dispatch('consent:withdraw-preview', { patientId: `${NAME} ${ID} `.repeat(9) });
    expect(tooLong).toMatchObject({ ok: false, error: { code: 'invalid-payload' } });
    expectNeither([unknownKey, tooLong], 'the answers');
  });
});

describe("the hub's JSON request bodies", () => {
  let test: TestHub;
  let caPem = '';
  beforeAll(async () => {
    test = await makeTestHub({ logger: logger('hub') });
    caPem = (await enrollTestSite(test.hub, 'Alpha')).enrollment.caPem;
  });
  afterAll(() => test.cleanup());

  it('answers a body that is not JSON with where it goes wrong, quoting none of it', async () => {
    const body = Buffer.from(`{"tokenSecret": "x",\n "siteName": ${NAME} ${ID}}`);
    const response = await hubHttp({ baseUrl: test.hub.url, caPem }, 'POST', hubPaths.enroll, body, {
      'content-type': 'application/json',
    });
    expect(response.status).toBe(400);
    const answer = JSON.parse(response.body.toString()) as { error: string; message: string };
    expect(answer.error).toBe('bad-json');
    expect(answer.message).toMatch(/line 2, column 14/);
    expectNeither(answer, 'the answer');
  });

  it('answers a body of the wrong shape by path and expected type', async () => {
    const body = Buffer.from(JSON.stringify({ tokenSecret: ID, siteName: `${NAME}\u0000` }));
    const response = await hubHttp({ baseUrl: test.hub.url, caPem }, 'POST', hubPaths.enroll, body, {
      'content-type': 'application/json',
    });
    expect(response.status).toBe(400);
    expectNeither(JSON.parse(response.body.toString()), 'the answer');
  });
});

describe('a DICOM file whose Transfer Syntax UID holds something else', () => {
  it('is refused without quoting the value', () => {
    const path = join(root, 'ct.dcm');
    writeCtFile(path, 1, 100);
    const bytes = readFileSync(path);
    const at = bytes.indexOf('1.2.840.10008.1.2');
    expect(at).toBeGreaterThan(0);
    // Same length as the UID and its padding, so every length in the meta group stays right.
    const length = bytes.readUInt16LE(at - 2);
    // The data set's first element, group 0008 after the meta group 0002, its tag's bytes swapped: the
    // data set reads as big-endian, which a syntax RadFed does not know cannot be told to be.
    let first = at + length;
    while (!(
      bytes[first] === 0x08 &&
      bytes[first + 1] === 0x00 &&
      /[A-Z]{2}/.test(bytes.toString('latin1', first + 4, first + 6))
    ))
      first += 1;
    for (const value of [`${NAME} ${ID}`, `1.2.3.${NAME}`]) {
      const damaged = Buffer.from(bytes);
      damaged.fill(0x20, at, at + length).write(value.slice(0, length), at, 'latin1');
      damaged.writeUInt16BE(0x0008, first);
      const error = thrown(() => parseDicom(new Uint8Array(damaged)));
      expectNeither(error.message, 'the error');
      expect(error.message).toMatch(/^Transfer syntax \(a value that is not a UID\) is/);
    }
  });
});
