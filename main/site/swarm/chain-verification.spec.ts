// A ledger from a peer is hostile input: each way it can be wrong is refused at the first bad height,
// with the height named, and nothing after it is taken.
import { describe, expect, it } from 'vitest';
import { MAX_ENTRIES_PER_PAGE, parseLedgerPage, verifyChain } from './chain-verification.ts';
import { MAX_ENTRY_BYTES, signStatement, type SignedEntry } from './ledger-entry.ts';
import { JOIN_REQUEST_TAG, quorumSize } from './membership.ts';
import { LedgerVerificationError } from './swarm-error.ts';
import { buildTestSwarm, makeTestSite, signedBy, TEST_NOW } from './testing/swarm-fixture.ts';
import { makeJoinRequest, proposeEntry } from './founding.ts';

function refusal(run: () => unknown): LedgerVerificationError {
  try {
    run();
  } catch (error) {
    if (error instanceof LedgerVerificationError) return error;
    throw error;
  }
  throw new Error('expected the ledger to be refused');
}

function clone(chain: readonly SignedEntry[]): SignedEntry[] {
  return structuredClone(chain) as SignedEntry[];
}

describe('verifying a swarm ledger received from a peer', () => {
  it('accepts a chain countersigned by a quorum and rebuilds the members in join order', () => {
    const swarm = buildTestSwarm(['Leeds', 'Lyon', 'Leiden']);
    const verified = verifyChain(null, swarm.chain);
    const state = verified.at(-1)?.state;
    expect(state?.members.map((member) => member.name)).toEqual(['Leeds', 'Lyon', 'Leiden']);
    expect(state?.nextHeight).toBe(3);
    expect(state?.swarmId).toBe(verified[0]?.hash);
  });

  it('states the quorum: a majority crash-fault bound, or two thirds for malicious members', () => {
    expect([1, 2, 3, 4, 5, 7].map((n) => quorumSize(n, 'majority'))).toEqual([1, 2, 2, 3, 3, 4]);
    expect([1, 2, 3, 4, 5, 7].map((n) => quorumSize(n, 'two-thirds'))).toEqual([1, 2, 3, 3, 4, 5]);
  });

  it('refuses a changed entry at its height: its signatures no longer verify', () => {
    const chain = clone(buildTestSwarm(['Leeds', 'Lyon', 'Leiden']).chain);
    const join = chain[2]?.entry.body;
    if (join?.kind !== 'join') throw new Error('fixture');
    join.member.address = 'https://attacker.example';
    const error = refusal(() => verifyChain(null, chain));
    expect([error.code, error.height]).toEqual(['bad-signature', 2]);
    expect(error.message).toContain('height 2');
  });

  it('refuses an entry that does not follow the hash before it, even when signed by every member', () => {
    const swarm = buildTestSwarm(['Leeds', 'Lyon', 'Leiden']);
    const entry = proposeEntry(
      swarm.state,
      swarm.sites[1]!.id,
      { kind: 'leave', member: swarm.sites[1]!.id, reason: 'left' },
      TEST_NOW,
    );
    const forged = signedBy({ ...entry, previous: 'ab'.repeat(32) }, swarm.sites);
    const error = refusal(() => verifyChain(null, [...swarm.chain, forged]));
    expect([error.code, error.height]).toEqual(['wrong-previous', 3]);
  });

  it('refuses a forged signature and a signature by a non-member', () => {
    const swarm = buildTestSwarm(['Leeds', 'Lyon', 'Leiden']);
    const [leeds, lyon] = swarm.sites;
    const mallory = makeTestSite('Mallory');
    const entry = proposeEntry(
      swarm.state,
      lyon!.id,
      { kind: 'leave', member: lyon!.id, reason: 'left' },
      TEST_NOW,
    );
    // Mallory signs under Leeds's name.
    const forged = signedBy(entry, [lyon!, mallory]);
    forged.signatures[1] = { member: leeds!.id, signature: forged.signatures[1]!.signature };
    expect(refusal(() => verifyChain(swarm.state, [forged])).code).toBe('bad-signature');
    const outsider = signedBy(entry, [lyon!, mallory]);
    const error = refusal(() => verifyChain(swarm.state, [outsider]));
    expect([error.code, error.height]).toEqual(['unknown-member', 3]);
  });

  it('refuses an entry with fewer countersignatures than the quorum, and counts them in the message', () => {
    const swarm = buildTestSwarm(['Leeds', 'Lyon', 'Leiden']);
    const lyon = swarm.sites[1]!;
    const alone = signedBy(
      proposeEntry(swarm.state, lyon.id, { kind: 'leave', member: lyon.id, reason: 'left' }, TEST_NOW),
      [lyon],
    );
    const error = refusal(() => verifyChain(swarm.state, [alone]));
    expect([error.code, error.height]).toEqual(['quorum-short', 3]);
    expect(error.message).toContain('1 of 3 members signed it; it needs 2');
  });

  it('under the two-thirds rule, two of three members are not enough', () => {
    const swarm = buildTestSwarm(['Leeds', 'Lyon', 'Leiden'], 'two-thirds');
    const [leeds, lyon] = swarm.sites;
    const entry = proposeEntry(
      swarm.state,
      lyon!.id,
      { kind: 'leave', member: lyon!.id, reason: 'left' },
      TEST_NOW,
    );
    expect(refusal(() => verifyChain(swarm.state, [signedBy(entry, [lyon!, leeds!])])).code).toBe(
      'quorum-short',
    );
    expect(verifyChain(swarm.state, [signedBy(entry, swarm.sites)])).toHaveLength(1);
  });

  it('refuses a replayed old entry at a new height', () => {
    const swarm = buildTestSwarm(['Leeds', 'Lyon', 'Leiden']);
    const error = refusal(() => verifyChain(swarm.state, [swarm.chain[1]]));
    expect([error.code, error.height]).toEqual(['wrong-height', 3]);
    // A genesis entry of another swarm where this one continues.
    const other = buildTestSwarm(['Oslo']);
    expect(refusal(() => verifyChain(swarm.state, [other.chain[0]])).code).toBe('wrong-height');
  });

  it('refuses a chain of another swarm than the invitation pinned', () => {
    const swarm = buildTestSwarm(['Leeds', 'Lyon']);
    const other = buildTestSwarm(['Oslo', 'Bergen']);
    const error = refusal(() => verifyChain(null, other.chain, { swarmId: swarm.state.swarmId }));
    expect([error.code, error.height]).toEqual(['wrong-swarm', 0]);
  });

  it('refuses a truncated chain: short of the claimed tip, or cut-off JSON', () => {
    const swarm = buildTestSwarm(['Leeds', 'Lyon', 'Leiden']);
    const tip = { height: 2, hash: swarm.state.tipHash };
    const error = refusal(() => verifyChain(null, swarm.chain.slice(0, 2), { tip }));
    expect([error.code, error.height]).toEqual(['truncated', 2]);
    expect(verifyChain(null, swarm.chain, { tip })).toHaveLength(3);
    const text = JSON.stringify(swarm.chain);
    expect(refusal(() => parseLedgerPage(text.slice(0, text.length - 40), 0)).code).toBe('truncated');
    expect(parseLedgerPage(text, 0)).toHaveLength(3);
  });

  it('refuses huge entries and pages before hashing them', () => {
    const swarm = buildTestSwarm(['Leeds', 'Lyon']);
    const huge = clone(swarm.chain);
    const join = huge[1]?.entry.body;
    if (join?.kind !== 'join') throw new Error('fixture');
    join.member.name = 'x'.repeat(MAX_ENTRY_BYTES);
    expect(refusal(() => verifyChain(null, huge))).toMatchObject({ code: 'too-large', height: 1 });
    const long = clone(swarm.chain);
    if (long[1]?.entry.body.kind === 'join') long[1].entry.body.member.name = 'x'.repeat(201);
    expect(refusal(() => verifyChain(null, long))).toMatchObject({ code: 'bad-entry', height: 1 });
    const many = Array.from({ length: MAX_ENTRIES_PER_PAGE + 1 }, () => swarm.chain[0]);
    expect(refusal(() => verifyChain(null, many)).code).toBe('too-large');
    expect(refusal(() => parseLedgerPage(' '.repeat(16 * 1024 * 1024 + 1), 5))).toMatchObject({
      code: 'too-large',
      height: 5,
    });
  });

  it('refuses unknown fields instead of dropping them (dropping would change the signed hash)', () => {
    const swarm = buildTestSwarm(['Leeds']);
    const extra = { ...swarm.chain[0], entry: { ...swarm.chain[0]!.entry, note: 'hello' } };
    const error = refusal(() => verifyChain(null, [extra]));
    expect([error.code, error.height]).toEqual(['bad-entry', 0]);
    expect(refusal(() => verifyChain(null, [null])).code).toBe('bad-entry');
    expect(refusal(() => verifyChain(null, ['not an entry'])).code).toBe('bad-entry');
  });

  it('refuses a join by a key whose owner did not sign the request, and a second join with one invitation', () => {
    const swarm = buildTestSwarm(['Leeds', 'Lyon']);
    const joinEntry = swarm.chain[1]!.entry;
    if (joinEntry.body.kind !== 'join') throw new Error('fixture');
    const intruder = makeTestSite('Intruder');
    // The intruder's key in the joiner's place, with a fresh invitation id: the joiner's signature fails.
    const stolen = {
      ...joinEntry.body,
      invitation: 'ab'.repeat(16),
      member: { ...joinEntry.body.member, id: intruder.id, signingKey: intruder.signingPublicKey },
    };
    const entry = proposeEntry(swarm.state, swarm.sites[0]!.id, stolen, TEST_NOW);
    const error = refusal(() => verifyChain(swarm.state, [signedBy(entry, swarm.sites)]));
    expect([error.code, error.height]).toEqual(['invalid-transition', 2]);
    expect(error.message).toContain('request signature');
    // The intruder's own, valid request, on the invitation Lyon already used.
    const request = makeJoinRequest(
      {
        inviterAddress: 'https://leeds.example',
        swarmId: swarm.state.swarmId,
        inviterKeyFingerprint: swarm.sites[0]!.id,
        secret: 'x'.repeat(43),
      },
      intruder,
    );
    const replayed = proposeEntry(
      swarm.state,
      swarm.sites[0]!.id,
      {
        kind: 'join',
        member: request.member,
        invitation: joinEntry.body.invitation,
        requestSignature: signStatement(
          JOIN_REQUEST_TAG,
          { swarm: swarm.state.swarmId, member: request.member, invitation: joinEntry.body.invitation },
          intruder.signingKey,
        ),
      },
      TEST_NOW,
    );
    const reused = refusal(() => verifyChain(swarm.state, [signedBy(replayed, swarm.sites)]));
    expect(reused.message).toContain('invitation was already used');
  });
});
