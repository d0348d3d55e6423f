// The round long-poll against a real hub, with the parameter names docs/protocol.md gives: a request
// for a newer revision is held open until the round changes, and a misspelt parameter is refused.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeWeights, hubPaths, HubRequestError, roundViewSchema } from '../../shared/federation/index.ts';
import { type HubClient } from '../../shared/node/federation/index.ts';
import { createTask } from '../tasks.ts';
import { taskChannel } from '../hub-events.ts';
import { enrollTestSite, makeTestHub, testTask, testWeights, type TestHub } from '../testing/test-hub.ts';

let test: TestHub;
let alpha: HubClient;
let bravo: HubClient;
let taskId: string;

/** The long-poll's query parameters as the protocol page documents them. */
function documentedLongPoll(): { after: string; wait: string } {
  const page = readFileSync(new URL('../../docs/protocol.md', import.meta.url), 'utf8');
  const match = /`GET \/v1\/tasks\/:id\/round\?(\w+)=&(\w+)=`/.exec(page);
  if (!match?.[1] || !match[2]) throw new Error('docs/protocol.md no longer lists the round long-poll.');
  return { after: match[1], wait: match[2] };
}

beforeAll(async () => {
  test = await makeTestHub();
  alpha = (await enrollTestSite(test.hub, 'Alpha')).client;
  bravo = (await enrollTestSite(test.hub, 'Bravo')).client;
  taskId = (
    await createTask(
      test.hub.ctx,
      testTask({ sites: ['Alpha', 'Bravo'], quorum: 2 }),
      encodeWeights(testWeights()),
    )
  ).id;
  await alpha.joinTask(taskId);
});
afterAll(() => test.cleanup());

describe('the round long-poll', () => {
  it('holds a request with the documented parameters open until the round changes', async () => {
    // The hub's own tick opens round 1 once the task exists; let it happen first, or it may change
    // the revision between this read and the poll (seen on PostgreSQL under load) and answer at once.
    await test.hub.advance();
    const before = await alpha.getRound(taskId);
    const names = documentedLongPoll();
    const query = new URLSearchParams({ [names.after]: before.revision, [names.wait]: '50' });
    const events = test.hub.ctx.events;
    const listening = events.subscribers(taskChannel(taskId));
    const poll = alpha
      .send('GET', `${hubPaths.round(taskId)}?${query.toString()}`)
      .then((response) => roundViewSchema.parse(JSON.parse(response.body.toString('utf8'))));

    // Either the hub starts waiting on the task (a listener appears), or it answered at once.
    const first = await Promise.race([
      poll.then((view) => ({ answered: view })),
      (async () => {
        while (events.subscribers(taskChannel(taskId)) <= listening)
          await new Promise((r) => setTimeout(r, 10));
        return { answered: undefined };
      })(),
    ]);
    expect(first.answered, 'the hub answered at once instead of waiting for a newer revision').toBe(
      undefined,
    );

    await bravo.joinTask(taskId); // both joined: round 1 opens, the revision changes
    await test.hub.advance();
    const after = await poll;
    expect(after.revision).not.toBe(before.revision);
  });

  it('refuses a parameter the protocol does not name, saying which', async () => {
    const view = await alpha.getRound(taskId);
    const error = await alpha
      .send('GET', `${hubPaths.round(taskId)}?after=${view.revision}&waitSeconds=5`)
      .then(
        () => undefined,
        (caught: unknown) => caught,
      );
    expect(error).toBeInstanceOf(HubRequestError);
    expect((error as HubRequestError).status).toBe(400);
    expect((error as HubRequestError).message).toContain('waitSeconds');
  });
});
