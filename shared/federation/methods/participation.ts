// The two ways today's methods decide who takes part in a round.
import type { Participation } from './method.ts';

/**
 * Every joined site may send; the round closes when all joined sites sent, or at its deadline with at
 * least `quorum` updates (FedAvg and its relatives, robust aggregation).
 */
export const everySiteByQuorum: Participation = {
  neededUpdates: (quorum) => quorum,
  turn: () => null,
  awaited: (joinedSiteIds) => [...joinedSiteIds],
  deadlineMissed: ({ accepted, needed, missingNames }) =>
    `Only ${accepted} of the ${needed} updates needed arrived before the deadline` +
    `${missingNames.length > 0 ? ` (no update from ${missingNames.join(', ')})` : ''}.`,
  notYourTurn: (round) => `It is another site's turn in round ${round}; wait for yours.`,
  summedUpdates: (quorum) => quorum,
  quorumProblem: (quorum, namedSites) =>
    quorum > namedSites
      ? `The quorum (${quorum}) is larger than the number of sites the task names (${namedSites}); no round could ever complete.`
      : null,
};

/**
 * One site per round, the joined sites in turn (round r goes to the ((r − 1) mod n)-th site to join):
 * cyclic weight transfer. The task's quorum does not apply; each round needs the one update.
 */
export const oneSiteInTurn: Participation = {
  neededUpdates: () => 1,
  turn: (joinedSiteIds, round) => joinedSiteIds[(round - 1) % joinedSiteIds.length] ?? null,
  awaited: (_, turn) => (turn === null ? [] : [turn]),
  deadlineMissed: ({ missingNames }) =>
    `It was ${missingNames[0] ?? 'a site'}'s turn, and its update did not arrive before the deadline.`,
  notYourTurn: (round) =>
    `It is another site's turn in round ${round} (cyclic weight transfer); wait for yours.`,
  summedUpdates: () => 1,
  quorumProblem: () => null,
};
