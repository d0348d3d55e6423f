import { describe, expect, it } from 'vitest';
import type { SwarmMemberView, SwarmRoundView, SwarmStatusView } from '../../../../shared/ipc/index.ts';
import { findJargon } from '../../lib/jargon.ts';
import {
  ledgerSentence,
  membershipSentence,
  nameList,
  privacySpentWords,
  reachWords,
  swarmNowSentence,
} from './swarm-words.ts';

type InSwarm = Extract<SwarmStatusView, { inSwarm: true }>;

const member = (name: string, reach: SwarmMemberView['reach'] = 'direct', via: string | null = null) => ({
  id: 'a'.repeat(32),
  name,
  address: `https://${name.toLowerCase()}.example:8443`,
  reach,
  via,
  isThisSite: name === 'Birch',
});

const round = (fields: Partial<SwarmRoundView>): SwarmRoundView => ({
  round: 3,
  stage: 'under-way',
  participants: ['Ash', 'Birch', 'Cedar'],
  leader: 'Ash',
  leftOut: [],
  modelHash: null,
  epsilonSpent: null,
  ...fields,
});

function swarm(fields: Partial<InSwarm> = {}): InSwarm {
  return {
    inSwarm: true,
    name: 'Northern nodule swarm',
    swarmId: 'b'.repeat(64),
    thisSite: 'Birch',
    height: 12,
    ledger: { verified: true, failedAt: null, problem: null },
    quorum: { needed: 2, of: 3, rule: 'majority' },
    members: [member('Ash'), member('Birch', 'through-member', 'Ash'), member('Cedar')],
    roundsFinished: 2,
    currentRound: null,
    lastRound: null,
    ...fields,
  };
}

describe('swarm words', () => {
  it('lists names as a person would', () => {
    expect(nameList(['Ash'])).toBe('Ash');
    expect(nameList(['Ash', 'Birch'])).toBe('Ash and Birch');
    expect(nameList(['Ash', 'Birch', 'Cedar'])).toBe('Ash, Birch and Cedar');
  });

  it('says who the round under way waits for, and who combines it', () => {
    const text = swarmNowSentence(swarm({ currentRound: round({}) }));
    expect(text).toBe(
      'Round 3: waiting for this site (Birch) and Cedar to send their masked updates to Ash, which combines ' +
        'them and sees only their sum, never one hospital\u2019s update.',
    );
  });

  it('names a member that sat the round out, and this site when it combines', () => {
    const text = swarmNowSentence(
      swarm({ currentRound: round({ leader: 'Birch', participants: ['Ash', 'Birch'], leftOut: ['Cedar'] }) }),
    );
    expect(text).toMatch(/^Round 3: waiting for Ash to send its masked update to this site \(Birch\)/);
    expect(text).toContain('Cedar did not join the draw in time, so it sits this round out.');
  });

  it('says lots are being drawn before the round has a leader', () => {
    const text = swarmNowSentence(swarm({ currentRound: round({ stage: 'drawing-leader', leader: null }) }));
    expect(text).toMatch(/^Round 3 has started: Ash, Birch and Cedar are drawing lots/);
  });

  it('says how the last round finished when none is under way', () => {
    const text = swarmNowSentence(
      swarm({ lastRound: round({ stage: 'finished', modelHash: 'c'.repeat(64), epsilonSpent: 0.4 }) }),
    );
    expect(text).toBe(
      'Round 3 finished: the model was averaged from 3 hospitals (Ash, Birch and Cedar). Ash combined it.',
    );
    expect(swarmNowSentence(swarm())).toMatch(/^No training round has started yet/);
  });

  it('says whether the record checks out, and what to do when it does not', () => {
    expect(ledgerSentence(swarm())).toBe(
      'This site\u2019s copy of the swarm\u2019s record holds 12 entries, and every entry checks out: each was ' +
        'signed by enough members (2 of 3).',
    );
    const damaged = ledgerSentence(
      swarm({ ledger: { verified: false, failedAt: 7, problem: 'a signature does not verify' } }),
    );
    expect(damaged).toMatch(/does not check out from entry 8 on/);
    expect(damaged).toMatch(/Ask your IT department/);
  });

  it('says how each member is reached', () => {
    expect(reachWords(member('Ash'))).toBe('Reached directly');
    expect(reachWords(member('Birch', 'through-member', 'Ash'))).toBe(
      'Reached through Ash, which passes its messages on',
    );
    expect(reachWords(member('Cedar', 'through-relay-server', 'relay.example'))).toMatch(
      /relay \(relay\.example\) that passes on sealed messages it cannot read/,
    );
  });

  it('says whether this site is a member, and the privacy spent', () => {
    expect(membershipSentence(swarm())).toBe(
      'This site takes part as Birch in the swarm \u201cNorthern nodule swarm\u201d, with 3 hospitals and no hub.',
    );
    expect(membershipSentence(swarm({ thisSite: null }))).toMatch(/no longer a member/);
    expect(privacySpentWords(0.4213)).toMatch(/^0\.42 \(the privacy budget used so far/);
    expect(privacySpentWords(null)).toBe('Not recorded');
  });

  it('uses no developer jargon in any sentence', () => {
    const view = swarm({
      currentRound: round({ leftOut: ['Cedar'] }),
      lastRound: round({ stage: 'finished' }),
    });
    const sentences = [
      swarmNowSentence(view),
      ledgerSentence(view),
      ledgerSentence(swarm({ ledger: { verified: false, failedAt: 1, problem: 'x' } })),
      membershipSentence(view),
      ...view.members.map(reachWords),
      privacySpentWords(0.4),
    ];
    for (const sentence of sentences) expect(findJargon(sentence)).toEqual([]);
  });
});
