// The site's former deciders of what an error may say (the IPC dispatcher's answer and log line, an
// import's failure sentence, the ingest room's error code) now all ask shared/log-safety.ts: an
// identifier or a path planted in a foreign error comes out of none of them.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { RadfedError } from '../../../shared/errors.ts';
import { carriesPlanted, foreignErrorsQuotingInput } from '../../../shared/log-safety-test-support.ts';
import { createLogger } from '../../../shared/node/index.ts';
import { errorCode } from '../ingest/index.ts';
import { ImportJobs } from './import-jobs.ts';
import { createIpcDispatcher, createIpcHandlers, type SiteAgentPort } from './ipc-handlers.ts';

describe('error reporting at the site: no planted identifier or path comes out', () => {
  it.each(foreignErrorsQuotingInput().map((error) => [error.name, error] as const))(
    'IPC: a handler that throws a foreign %s answers internal, and its log line names only the code',
    async (_name, error) => {
      const lines: string[] = [];
      const logger = createLogger({
        room: 'site-ui',
        destination: { write: (line: string) => void lines.push(line) },
      });
      const agent = { status: () => Promise.reject(error) } as unknown as SiteAgentPort;
      const dispatch = createIpcDispatcher(createIpcHandlers(agent), { logger });
      const answer = await dispatch('site:status', undefined);
      expect(answer).toMatchObject({ ok: false, error: { code: 'internal' } });
      expect(carriesPlanted(answer)).toBe(false);
      expect(lines).toHaveLength(1);
      expect(carriesPlanted(lines[0])).toBe(false);
    },
  );

  it('IPC: one of our errors is passed on with its code and sentence', async () => {
    const agent = {
      status: () => Promise.reject(new RadfedError('store-locked', 'The site store is in use; try again.')),
    } as unknown as SiteAgentPort;
    const answer = await createIpcDispatcher(createIpcHandlers(agent))('site:status', undefined);
    expect(answer).toEqual({
      ok: false,
      error: { code: 'store-locked', message: 'The site store is in use; try again.' },
    });
  });

  it.each(foreignErrorsQuotingInput().map((error) => [error.name, error] as const))(
    'import: a foreign %s stops the import with a sentence that names only its code',
    async (_name, error) => {
      const jobs = new ImportJobs();
      const id = await jobs.start(mkdtempSync(`${tmpdir()}/radfed-import-`), () => Promise.reject(error));
      await new Promise((resolve) => setImmediate(resolve));
      const progress = jobs.progress(id);
      expect(progress.state).toBe('failed');
      expect(progress.error).toMatch(/^The import stopped \(/);
      expect(carriesPlanted(progress)).toBe(false);
      expect(carriesPlanted(errorCode(error))).toBe(false);
    },
  );
});
