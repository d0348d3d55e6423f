// A compromised hub that lists round keys of its own for a site's neighbour (a real hub whose database
// the spec rewrites before the site shares): the keys no longer carry the neighbour's signature, so the
// site sends no key shares (encrypted to those keys, they would give the hub its secrets), writes the
// refusal in its audit log and tells its operator. And the hub refuses an advertisement whose signature
// is not the site's enrolled key's.
import { generateKeyPairSync, sign } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { HubRequestError, secaggPaths } from '../../../shared/federation/index.ts';
import { newRoundSecrets, publicKeysOf, signedAdvertisement } from '../../../shared/node/secagg/index.ts';
import { waitFor } from '../../../hub/testing/test-hub.ts';
import { z } from 'zod';
import { cleanupHostileRounds, hostileRound, refusalOf } from './testing/hostile-hub-round.ts';

afterEach(cleanupHostileRounds);

describe("a site takes a neighbour's round keys only with that neighbour's signature", () => {
  it('sends no key shares when the hub lists its own mask key for a neighbour', async () => {
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
    await s.hub.ctx.store.sql.run(
      `UPDATE secagg_participants SET mask_public_key = @key
       WHERE task_id = @taskId AND round = 1 AND site_id = @siteId`,
      {
        key: publicKeysOf(newRoundSecrets()).maskPublicKey,
        taskId: s.taskId,
        siteId: s.others[0]!.client.siteId,
      },
    );
    s.polls.open();

    const error = await refusalOf(work);
    expect(error.message).toMatch(
      /the round keys the hub lists for 1 site\(s\) of this neighbourhood do not carry that site's signature/,
    );
    expect(error.message).toMatch(/sent no key shares/);
    expect((await s.rows.participant(s.taskId, 1, s.guarded.siteId))?.shared_at).toBeNull();
    expect(s.auditEntries().map((e) => e.detail)).toEqual([
      expect.objectContaining({ phase: 'sharing', field: 'participant-keys', planned: 1, expected: 0 }),
    ]);
  }, 60_000);

  it("refuses an advertisement not signed by the site's enrolled key", async () => {
    const s = await hostileRound();
    const other = s.others[0]!;
    const stranger = generateKeyPairSync('ed25519');
    const forged = signedAdvertisement(
      other.secrets,
      { taskId: s.taskId, round: 1, siteId: other.client.siteId },
      (bytes) => sign(null, bytes, stranger.privateKey).toString('base64url'),
    );
    const error = await other.client
      .call(z.object({ ok: z.literal(true) }), 'POST', secaggPaths.keys(s.taskId, 1), forged)
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect(error).toBeInstanceOf(HubRequestError);
    expect((error as HubRequestError).hubCode).toBe('bad-keys-signature');
    expect(await s.rows.participant(s.taskId, 1, other.client.siteId)).toBeUndefined();
  }, 60_000);
});
