import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { RadfedError } from '../errors.ts';
import {
  carriesPlanted,
  foreignErrorsQuotingInput,
  PLANTED_NAME,
  PLANTED_PATH,
  PLANTED_UID,
} from '../log-safety-test-support.ts';
import { createLogger, IDENTIFYING_KEYWORDS, REDACTED_FIELDS, roomLogger } from './logger.ts';

function capture(): { lines: string[]; stream: { write(line: string): void } } {
  const lines: string[] = [];
  return { lines, stream: { write: (line: string) => void lines.push(line) } };
}

const savedLevel = process.env.RADFED_LOG_LEVEL;
afterEach(() => {
  if (savedLevel === undefined) delete process.env.RADFED_LOG_LEVEL;
  else process.env.RADFED_LOG_LEVEL = savedLevel;
});

describe('createLogger: the one pino factory', () => {
  it('writes no path, identifier or foreign error message, whichever field a log call puts them in', () => {
    delete process.env.RADFED_LOG_LEVEL;
    const { lines, stream } = capture();
    const logger = roomLogger(createLogger({ room: 'site', destination: stream }), 'ingest');
    const planted = Object.fromEntries(
      REDACTED_FIELDS.map((field, i) => [field, i % 2 ? PLANTED_PATH : PLANTED_NAME]),
    );
    logger.info({ ...planted, detail: { ...planted, studyInstanceUid: PLANTED_UID } }, 'planted fields');
    for (const error of foreignErrorsQuotingInput()) {
      logger.error({ err: error }, 'planted err');
      logger.error({ error }, 'planted error');
      logger.error(error, 'planted as the object');
    }
    logger.warn({ error: `ENOENT: open '${PLANTED_PATH}'` }, 'a message passed as text');
    logger.error(
      {
        err: new RadfedError('import-failed', 'The import stopped.', {
          cause: foreignErrorsQuotingInput()[0],
        }),
      },
      'wrapped',
    );
    expect(lines.length).toBe(1 + 3 * foreignErrorsQuotingInput().length + 2);
    for (const line of lines) expect(carriesPlanted(line), line).toBe(false);
    // What is kept: the room, the redaction marks, the codes, our sentence.
    const first = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(first).toMatchObject({
      name: 'radfed-site',
      room: 'ingest',
      patientName: '[redacted]',
      path: '[redacted]',
    });
    expect((first.detail as Record<string, unknown>).studyInstanceUid).toBe('[redacted]');
    expect(JSON.parse(lines[1]!)).toMatchObject({ err: { type: 'Error', code: 'ENOENT' } });
    expect(JSON.parse(lines.at(-1)!)).toMatchObject({
      err: { code: 'import-failed', message: 'The import stopped.', cause: { code: 'ENOENT' } },
    });
  });

  it('keeps what the code logs today: counts, codes, task ids, an error code as text', () => {
    const { lines, stream } = capture();
    const logger = createLogger({ room: 'hub', destination: stream });
    logger.info({ patients: 3, files: 12, task: 'task_1', error: 'ENOENT', status: 'held' }, 'kept');
    expect(JSON.parse(lines[0]!)).toMatchObject({
      patients: 3,
      files: 12,
      task: 'task_1',
      error: 'ENOENT',
      status: 'held',
    });
  });

  it('levels: RADFED_LOG_LEVEL wins, else the default given, else info', () => {
    delete process.env.RADFED_LOG_LEVEL;
    expect(createLogger({ room: 'app', destination: capture().stream }).level).toBe('info');
    expect(
      createLogger({ room: 'site-ui', defaultLevel: 'error', destination: capture().stream }).level,
    ).toBe('error');
    process.env.RADFED_LOG_LEVEL = 'debug';
    expect(
      createLogger({ room: 'site-ui', defaultLevel: 'error', destination: capture().stream }).level,
    ).toBe('debug');
  });

  it('each DICOM keyword it redacts is an attribute of PS3.15 Table E.1-1 (the de-identification table)', () => {
    const table = JSON.parse(
      readFileSync(new URL('../../main/site/deid/data/table_E.1-1.2026a.json', import.meta.url), 'utf8'),
    ) as { name: string }[];
    // DICOM's keyword rule: "Patient's Name" → PatientName, "Issuer of Patient ID" → IssuerOfPatientID.
    const keywordOf = (name: string) =>
      name
        .replace(/'s\b/g, '')
        .split(/[^A-Za-z0-9]+/)
        .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
        .join('');
    const keywords = new Set(table.map((row) => keywordOf(row.name)));
    const missing = IDENTIFYING_KEYWORDS.filter((keyword) => !keywords.has(keyword));
    expect(missing).toEqual([]);
  });
});
