// Membership changes through the ledger: leaving and removal, key rotation (the old key stops counting,
// the new one must prove itself), and the rules a genesis and a join must keep.
import { describe, expect, it } from 'vitest';
import { verifyChain } from './chain-verification.ts';
import { genesisEntry, proposeEntry } from './founding.ts';
import { signStatement } from './ledger-entry.ts';
import { KEY_PROOF_TAG } from './membership.ts';
import { LedgerVerificationError } from './swarm-error.ts';
import { buildTestSwarm, makeTestSite, signedBy, TEST_NOW, type TestSwarm } from './testing/swarm-fixture.ts';

function refusal(run: () => unknown): LedgerVerificationError {
  try {
    run();
  } catch (error) {
    if (error instanceof LedgerVerificationError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

function rotate(swarm: TestSwarm, index: number) {
  const site = swarm.sites[index]!;
  const fresh = makeTestSite(site.name);
  const statement = { swarm: swarm.state.swarmId, member: site.id, signingKey: fresh.signingPublicKey };
  const body = {
    kind: 'key-rotation' as const,
    member: site.id,
    signingKey: fresh.signingPublicKey,
    proof: signStatement(KEY_PROOF_TAG, statement, fresh.signingKey),
  };
  return { site, fresh, body };
}

describe('membership changes in the swarm ledger', () => {
  it('a member leaves by its own entry; another is removed by a quorum; neither counts afterwards', () => {
    const swarm = buildTestSwarm(['Leeds', 'Lyon', 'Leiden', 'Lund']);
    const [leeds, lyon, leiden, lund] = swarm.sites;
    swarm.add({ kind: 'leave', member: lund!.id, reason: 'left' }, lund!, [leeds!, lyon!]);
    swarm.add({ kind: 'leave', member: leiden!.id, reason: 'removed' }, leeds!, [lyon!]);
    expect(swarm.state.members.map((m) => m.name)).toEqual(['Leeds', 'Lyon']);
    const entry = proposeEntry(
      swarm.state,
      lyon!.id,
      { kind: 'leave', member: lyon!.id, reason: 'left' },
      TEST_NOW,
    );
    expect(refusal(() => verifyChain(swarm.state, [signedBy(entry, [lyon!, leiden!])])).code).toBe(
      'unknown-member',
    );
    // Leaving for someone else, or "removing" oneself, is refused.
    const forOther = proposeEntry(
      swarm.state,
      lyon!.id,
      { kind: 'leave', member: leeds!.id, reason: 'left' },
      TEST_NOW,
    );
    expect(refusal(() => verifyChain(swarm.state, [signedBy(forOther, [lyon!, leeds!])])).code).toBe(
      'invalid-transition',
    );
  });

  it('the last member cannot leave', () => {
    const swarm = buildTestSwarm(['Leeds']);
    const leeds = swarm.sites[0]!;
    const entry = proposeEntry(
      swarm.state,
      leeds.id,
      { kind: 'leave', member: leeds.id, reason: 'left' },
      TEST_NOW,
    );
    expect(refusal(() => verifyChain(swarm.state, [signedBy(entry, [leeds])])).message).toContain(
      'last member',
    );
  });

  it('after a key rotation the old key no longer signs for the member, and the new one does', () => {
    const swarm = buildTestSwarm(['Leeds', 'Lyon', 'Leiden']);
    const { site: lyon, fresh, body } = rotate(swarm, 1);
    const [leeds] = swarm.sites;
    swarm.add(body, lyon, [leeds!]);
    expect(swarm.state.members[1]).toMatchObject({ id: lyon.id, signingKey: fresh.signingPublicKey });
    const entry = proposeEntry(
      swarm.state,
      lyon.id,
      { kind: 'leave', member: lyon.id, reason: 'left' },
      TEST_NOW,
    );
    const withOldKey = signedBy(entry, [lyon, leeds!]);
    expect(refusal(() => verifyChain(swarm.state, [withOldKey])).code).toBe('bad-signature');
    const withNewKey = signedBy(entry, [{ ...fresh, id: lyon.id }, leeds!]);
    expect(verifyChain(swarm.state, [withNewKey])).toHaveLength(1);
  });

  it('refuses a rotation without proof by the new key, or proposed by someone else', () => {
    const swarm = buildTestSwarm(['Leeds', 'Lyon', 'Leiden']);
    const { site: lyon, body } = rotate(swarm, 1);
    const [leeds, , leiden] = swarm.sites;
    const unproven = { ...body, proof: rotate(swarm, 2).body.proof };
    const entry = proposeEntry(swarm.state, lyon.id, unproven, TEST_NOW);
    expect(refusal(() => verifyChain(swarm.state, [signedBy(entry, swarm.sites)])).message).toContain(
      'proof of possession',
    );
    const byOther = proposeEntry(swarm.state, leeds!.id, body, TEST_NOW);
    expect(refusal(() => verifyChain(swarm.state, [signedBy(byOther, [leeds!, leiden!])])).message).toContain(
      'only the member itself',
    );
  });

  it("a member's clock decides nothing: entries stamped in the past or the future are taken alike", () => {
    const swarm = buildTestSwarm(['Leeds', 'Lyon', 'Leiden']);
    const [leeds, lyon, leiden] = swarm.sites;
    const past = proposeEntry(
      swarm.state,
      lyon!.id,
      { kind: 'leave', member: lyon!.id, reason: 'left' },
      new Date('1999-01-01T00:00:00Z'),
    );
    const state = verifyChain(swarm.state, [signedBy(past, [lyon!, leeds!])]).at(-1)!.state;
    const future = proposeEntry(
      state,
      leiden!.id,
      { kind: 'leave', member: leiden!.id, reason: 'left' },
      new Date('2099-01-01T00:00:00Z'),
    );
    expect(
      verifyChain(state, [signedBy(future, [leiden!, leeds!])])
        .at(-1)
        ?.state.members.map((m) => m.name),
    ).toEqual(['Leeds']);
  });

  it('refuses a genesis whose proposer is not its founder, and a second genesis', () => {
    const founder = makeTestSite('Leeds');
    const other = makeTestSite('Lyon');
    const genesis = genesisEntry(founder, { name: 'Swarm', now: TEST_NOW });
    const hijacked = { ...genesis, proposer: other.id };
    expect(refusal(() => verifyChain(null, [signedBy(hijacked, [other])])).code).toBe('unknown-member');
    const swarm = buildTestSwarm(['Leeds']);
    const again = proposeEntry(swarm.state, swarm.sites[0]!.id, genesis.body, TEST_NOW);
    expect(refusal(() => verifyChain(swarm.state, [signedBy(again, swarm.sites)])).message).toContain(
      'height 0',
    );
  });
});
