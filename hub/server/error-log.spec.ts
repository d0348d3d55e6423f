// The hub's answer and log line for a failure it did not expect: the coordinator's log gets the error's
// class, code and stack frames through the logger factory (shared/node/logger.ts), never a foreign
// error's message, which may quote a path or a value it was given.
import Fastify, { type FastifyBaseLogger } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { carriesPlanted, foreignErrorsQuotingInput } from '../../shared/log-safety-test-support.ts';
import { createLogger } from '../../shared/node/index.ts';
import { HubError } from '../hub-errors.ts';
import { makeTestHub, type TestHub } from '../testing/test-hub.ts';
import { installErrorHandling, type HubApp } from './http-plumbing.ts';

let test: TestHub;
beforeAll(async () => {
  test = await makeTestHub();
});
afterAll(() => test.cleanup());

/** A Fastify app with the hub's error handling and a route that throws `error`, logging into `lines`. */
async function appThrowing(error: Error, lines: string[]): Promise<HubApp> {
  const logger = createLogger({
    room: 'hub',
    destination: { write: (line: string) => void lines.push(line) },
  });
  const app = Fastify({ loggerInstance: logger as FastifyBaseLogger }) as unknown as HubApp;
  installErrorHandling(app, test.hub.ctx);
  app.get('/fails', () => {
    throw error;
  });
  await app.ready();
  return app;
}

describe('hub: a failure it did not expect', () => {
  it.each(foreignErrorsQuotingInput().map((error) => [error.name, error] as const))(
    'a foreign %s is answered as internal and logged with no path or identifier',
    async (_name, error) => {
      const lines: string[] = [];
      const app = await appThrowing(error, lines);
      const reply = await app.inject({ method: 'GET', url: '/fails' });
      await app.close();
      expect(reply.statusCode).toBe(500);
      expect(reply.json()).toMatchObject({ error: 'internal' });
      expect(carriesPlanted(reply.body)).toBe(false);
      const failed = lines.find((line) => line.includes('request failed'));
      expect(failed).toBeDefined();
      expect(JSON.parse(failed!)).toMatchObject({ err: { type: error.name } });
      for (const line of lines) expect(carriesPlanted(line), line).toBe(false);
    },
  );

  it("one of the hub's own errors is answered with its code and sentence", async () => {
    const app = await appThrowing(new HubError('no-such-task', 404, 'There is no such task.'), []);
    const reply = await app.inject({ method: 'GET', url: '/fails' });
    await app.close();
    expect(reply.statusCode).toBe(404);
    expect(reply.json()).toMatchObject({ error: 'no-such-task', message: 'There is no such task.' });
  });
});
