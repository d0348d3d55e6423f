// A compromised hub that changes its plan between the phases of one round (a real hub whose database
// the spec rewrites after the guarded site shared its keys): each phase's plan still matches the task,
// but not the plan the site shared under. The site keeps that plan and refuses the contradiction
// (secagg-plan-memory.ts), with an audit entry and a sentence for its operator, and gives nothing of
// the step: no masked update under a neighbour's swapped round keys (the hub would hold every pairwise
// mask of it, and with the honest sites' self-mask shares read its update alone), no unmask shares
// under another ring seed.
import { afterEach, describe, expect, it } from 'vitest';
import { newRoundSecrets, publicKeysOf } from '../../../shared/node/secagg/index.ts';
import { waitFor } from '../../../hub/testing/test-hub.ts';
import { auditSentence } from '../audit/index.ts';
import {
  cleanupHostileRounds,
  deltaOf,
  heldAfterMasking,
  heldAfterSharing,
  hostileRound,
  refusalOf,
} from './testing/hostile-hub-round.ts';

afterEach(cleanupHostileRounds);

describe('a site holds the hub to the plan it shared its keys under', () => {
  it("masks nothing when a neighbour's round key is swapped for the hub's after the key shares", async () => {
    const s = await hostileRound();
    const work = heldAfterSharing(s);
    for (const other of s.others) await other.advertise();
    await s.phase('sharing');
    for (const other of s.others) await other.share();
    await s.phase('masking');
    // The hub lists a mask key of its own for Other B: a pairwise mask with it is one the hub can remove.
    const hubKeys = publicKeysOf(newRoundSecrets());
    await s.hub.ctx.store.sql.run(
      `UPDATE secagg_participants SET mask_public_key = @key
       WHERE task_id = @taskId AND round = 1 AND site_id = @siteId`,
      { key: hubKeys.maskPublicKey, taskId: s.taskId, siteId: s.others[0]!.client.siteId },
    );
    s.polls.open();

    const error = await refusalOf(work);
    expect(error.message).toMatch(
      /the round keys or places of 1 neighbour\(s\) changed since this site shared its keys/,
    );
    expect(error.message).toMatch(/did not mask or send its update/);
    expect(await s.hub.ctx.store.uploads.acceptedUpdateOf(s.taskId, 1, s.guarded.siteId)).toBeUndefined();
    const entries = s.auditEntries();
    expect(entries.map((e) => e.detail)).toEqual([
      expect.objectContaining({ phase: 'masking', field: 'changed-plan', maskedInputSent: false }),
    ]);
    expect(auditSentence(entries[0]!)).toMatch(
      /refused, it contradicts what the hub said earlier in the round: this site took no part/,
    );
  }, 60_000);

  it('gives no unmask shares when the plan at unmasking has another ring seed than at sharing', async () => {
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
    await s.servePlan((plan) => ({ ...plan, seed: 'B'.repeat(43) }));
    s.polls.open();

    const error = await refusalOf(work);
    expect(error.message).toMatch(/the ring's seed of the plan changed since this site shared its keys/);
    expect(error.message).toMatch(/gave no shares to unmask/);
    expect((await s.rows.participant(s.taskId, 1, s.guarded.siteId))?.revealed_at).toBeNull();
    expect(s.auditEntries().map((e) => e.detail)).toEqual([
      expect.objectContaining({ phase: 'unmasking', field: 'changed-plan', maskedInputSent: true }),
    ]);
  }, 60_000);
});
