// The hub's tick moves every task on: one task that cannot move must not stop the others. A task whose
// definition this RadFed cannot read (written by a newer replica during a rolling upgrade) threw out
// of the tick before the tasks after it, so their deadlines never passed and no upload was swept; and
// out of the hub's start, so a hub holding such a task did not start at all.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { encodeWeights } from '../../shared/federation/index.ts';
import { createTask } from '../tasks.ts';
import { startHub } from './start-hub.ts';
import { enrollTestSite, makeTestHub, testTask, testWeights, type TestHub } from '../testing/test-hub.ts';

let test: TestHub;
beforeAll(async () => {
  test = await makeTestHub();
}, 60_000);
afterAll(async () => {
  await test?.cleanup();
});

it('a task the hub cannot read does not stop the tick from failing another task’s round at its deadline', async () => {
  const { hub } = test;
  const unreadable = (await createTask(hub.ctx, testTask(), encodeWeights(testWeights(1)))).id;
  await hub.ctx.store.sql.run('UPDATE tasks SET definition = @definition WHERE id = @id', {
    id: unreadable,
    definition: JSON.stringify({ ...testTask(), strategy: { name: 'a-method-of-a-newer-radfed' } }),
  });
  const taskId = (await createTask(hub.ctx, testTask({ quorum: 2 }), encodeWeights(testWeights(2)))).id;
  for (const name of ['Tick A', 'Tick B']) {
    const { client } = await enrollTestSite(hub, name);
    await client.joinTask(taskId, { train: 20, validation: 5 });
  }
  const roundOne = async () => (await hub.ctx.store.tasks.rounds(taskId))[0];
  for (let tries = 0; (await roundOne())?.state !== 'collecting'; tries += 1) {
    expect(tries, 'round 1 to collect').toBeLessThan(200);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  // No site sends anything: only the hub's own tick can see the deadline pass.
  test.shiftClock(61_000);
  for (let tries = 0; (await roundOne())?.state !== 'failed'; tries += 1) {
    expect(tries, 'the tick to fail round 1 at its deadline').toBeLessThan(200);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  expect((await roundOne())?.failure_reason).toMatch(/deadline|quorum|updates/i);
}, 60_000);

it('a hub holding a task it cannot read still starts, and serves the others', async () => {
  const again = await startHub({ dir: test.dir, port: 0, logger: false, tickMs: 100 });
  try {
    expect((await again.ctx.store.tasks.activeTaskIds()).length).toBeGreaterThan(0);
  } finally {
    await again.close();
  }
}, 60_000);
