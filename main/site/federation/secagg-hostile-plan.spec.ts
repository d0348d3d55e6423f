// A compromised hub, on loopback: a real hub whose database is changed between the site's looks (the
// plan of a round, who survived) serves a real site's client a secure-aggregation plan the approved
// task does not allow. The site refuses before it gives what the plan would take: no key shares for a
// tiny clip range or for a plan that counts a site its neighbourhood does not hold (a sybil), no
// unmask shares when the hub calls an honest site dropped to leave a sum of two. Each refusal is in the
// site's audit log (a real site database), thrown as a plain sentence for the operator, and nothing of
// that step reached the hub. The spec holds the site's round polls while it changes the hub, so no
// timing luck decides what the site sees.
import { afterEach, describe, expect, it } from 'vitest';
import { planValuesFor } from '../../../shared/node/secagg/index.ts';
import { auditSentence } from '../audit/index.ts';
import {
  cleanupHostileRounds,
  deltaOf,
  heldAfterMasking,
  hostileRound,
  refusalOf,
} from './testing/hostile-hub-round.ts';
import { waitFor } from '../../../hub/testing/test-hub.ts';

afterEach(cleanupHostileRounds);

describe("a site checks the hub's secure-aggregation plan against the task it approved", () => {
  it('sends no key shares under a plan whose clip range would zero its update, and records why', async () => {
    const s = await hostileRound();
    s.polls.close(); // the site's next look comes once the hub has been changed
    const work = s.takePart();
    await waitFor(
      s.hub,
      async () => (await s.rows.participant(s.taskId, 1, s.guarded.siteId)) !== undefined,
      'its keys',
    );
    for (const other of s.others) await other.advertise();
    await s.phase('sharing');
    await s.servePlan((plan) => ({ ...plan, clipRange: 0.000001 }));
    s.polls.open();

    const error = await refusalOf(work);
    expect(error.message).toMatch(
      /clip range of the updates is 0\.000001 in the plan; the approved task says 0\.5/,
    );
    expect(error.message).toMatch(/sent no key shares/);
    expect(error.message).not.toMatch(/secagg|task_|\/tasks\//); // plain words: no code, path or id
    expect((await s.rows.participant(s.taskId, 1, s.guarded.siteId))?.shared_at).toBeNull();
    const entries = s.auditEntries();
    expect(entries.map((e) => e.detail)).toEqual([
      expect.objectContaining({
        round: 1,
        phase: 'sharing',
        field: 'clipRange',
        planned: 0.000001,
        expected: 0.5,
      }),
    ]);
    expect(auditSentence(entries[0]!)).toMatch(
      /refused, its clip range \(0\.000001 where the approved task says 0\.5\)/,
    );
    expect(s.events).toEqual([]); // the entry was written: nothing to tell about the log itself
  }, 60_000);

  it('sends no key shares under a plan that counts a site its neighbourhood does not hold', async () => {
    const s = await hostileRound();
    s.polls.close();
    const work = s.takePart();
    await waitFor(
      s.hub,
      async () => (await s.rows.participant(s.taskId, 1, s.guarded.siteId)) !== undefined,
      'its keys',
    );
    for (const other of s.others) await other.advertise();
    await s.phase('sharing');
    // Four participants with every value right for four: a fourth seat (a sybil's) the view leaves out.
    const settings = { clipRange: 0.5, bits: 12 };
    await s.servePlan((plan) => ({ ...plan, participants: 4, ...planValuesFor(settings, 4) }));
    s.polls.open();

    const error = await refusalOf(work);
    expect(error.message).toMatch(
      /the neighbourhood the hub lists has 3 sites; the plan's neighbourhood size gives 4/,
    );
    expect(s.refusals).toMatchObject([{ field: 'participant-list', planned: 3, expected: 4 }]);
    expect((await s.rows.participant(s.taskId, 1, s.guarded.siteId))?.shared_at).toBeNull();
    expect(s.auditEntries()).toHaveLength(1);
  }, 60_000);

  it('gives no unmask shares when the hub calls an honest site dropped, leaving a sum of two', async () => {
    const s = await hostileRound();
    const work = heldAfterMasking(s);
    for (const other of s.others) await other.advertise();
    await s.phase('sharing');
    for (const other of s.others) await other.share();
    await s.phase('masking');
    await waitFor(
      s.hub,
      async () =>
        (await s.hub.ctx.store.uploads.acceptedUpdateOf(s.taskId, 1, s.guarded.siteId)) !== undefined,
      'its masked update',
    );
    for (const [i, other] of s.others.entries()) await other.mask(deltaOf(s.base, i + 1), 5, 0);
    await s.phase('unmasking');
    // Other C sent its masked update, but the hub tells the guarded site it dropped: the sum would be
    // the guarded site's and Other B's, below the task's quorum of 3.
    await s.hub.ctx.store.sql.run(
      'UPDATE secagg_participants SET survivor = 0 WHERE task_id = @taskId AND round = 1 AND site_id = @siteId',
      { taskId: s.taskId, siteId: s.others[1]!.client.siteId },
    );
    s.polls.open();

    const error = await refusalOf(work);
    expect(error.message).toMatch(/the hub would unmask a sum of 2 updates; the task needs 3 in a sum/);
    expect(error.message).toMatch(/gave no shares to unmask/);
    const guardedRow = await s.rows.participant(s.taskId, 1, s.guarded.siteId);
    expect(guardedRow?.revealed_at).toBeNull();
    expect((await s.rows.revealed(s.taskId, 1)).filter((r) => r.holder_site === s.guarded.siteId)).toEqual(
      [],
    );
    expect(s.auditEntries().map((e) => e.detail)).toEqual([
      expect.objectContaining({
        phase: 'unmasking',
        field: 'survivors',
        planned: 2,
        expected: 3,
        maskedInputSent: true,
      }),
    ]);
  }, 60_000);
});
