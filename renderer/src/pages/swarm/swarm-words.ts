// The Swarm page in plain words: what the swarm is doing now, whether this site's copy of its record
// (the ledger) checks out, and how each member is reached. Names, not ids: ids, hashes and addresses
// belong in the page's technical detail. Pure, so it is tested without a browser.
import type { SwarmMemberView, SwarmRoundView, SwarmStatusView } from '../../../../shared/ipc/index.ts';

type InSwarm = Extract<SwarmStatusView, { inSwarm: true }>;

/** "Ash", "Ash and Birch", "Ash, Birch and Cedar". */
export function nameList(names: readonly string[]): string {
  if (names.length <= 1) return names[0] ?? 'no hospital';
  return `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
}

function hospitals(count: number): string {
  return count === 1 ? '1 hospital' : `${count} hospitals`;
}

/** A member's name, as "this site" when it is this one. */
function who(name: string, thisSite: string | null): string {
  return name === thisSite ? `this site (${name})` : name;
}

/** What is going on now, in one or two sentences. */
export function swarmNowSentence(view: InSwarm): string {
  const current = view.currentRound;
  if (current) return roundUnderWaySentence(current, view.thisSite);
  if (view.lastRound) return roundFinishedSentence(view.lastRound, view.thisSite);
  return 'No training round has started yet. A round starts when the members begin the task they agreed on.';
}

function roundUnderWaySentence(round: SwarmRoundView, thisSite: string | null): string {
  if (round.stage === 'drawing-leader' || round.leader === null) {
    return (
      `Round ${round.round} has started: ${nameList(round.participants)} are drawing lots for which hospital ` +
      'combines this round. No hospital can choose itself.'
    );
  }
  const others = round.participants.filter((name) => name !== round.leader);
  const leftOut =
    round.leftOut.length > 0
      ? ` ${nameList(round.leftOut)} did not join the draw in time, so ${round.leftOut.length === 1 ? 'it sits' : 'they sit'} this round out.`
      : '';
  if (others.length === 0) {
    return `Round ${round.round}: ${who(round.leader, thisSite)} is the only hospital taking part.${leftOut}`;
  }
  return (
    `Round ${round.round}: waiting for ${nameList(others.map((n) => who(n, thisSite)))} to send ` +
    `${others.length === 1 ? 'its masked update' : 'their masked updates'} to ${who(round.leader, thisSite)}, which combines them and sees only their sum, never one ` +
    `hospital\u2019s update.${leftOut}`
  );
}

function roundFinishedSentence(round: SwarmRoundView, thisSite: string | null): string {
  const leader = round.leader ? ` ${who(round.leader, thisSite)} combined it.` : '';
  return (
    `Round ${round.round} finished: the model was averaged from ${hospitals(round.participants.length)} ` +
    `(${nameList(round.participants)}).${leader}`
  );
}

/** Whether this site's copy of the ledger checks out, and what that means. */
export function ledgerSentence(view: InSwarm): string {
  const entries = view.height === 1 ? '1 entry' : `${view.height} entries`;
  if (view.ledger.verified) {
    return (
      `This site\u2019s copy of the swarm\u2019s record holds ${entries}, and every entry checks out: each ` +
      `was signed by enough members (${view.quorum.needed} of ${view.quorum.of}).`
    );
  }
  return (
    `This site\u2019s copy of the swarm\u2019s record does not check out from entry ${(view.ledger.failedAt ?? 0) + 1} ` +
    'on: it may have been changed or damaged on this computer. What this page shows comes from the entries ' +
    'before it. Ask your IT department to look at it before the next round.'
  );
}

/** How the other members reach this member. */
export function reachWords(member: SwarmMemberView): string {
  switch (member.reach) {
    case 'direct':
      return 'Reached directly';
    case 'through-member':
      return `Reached through ${member.via ?? 'another member'}, which passes its messages on`;
    case 'through-relay-server':
      return `Reached through a relay (${member.via ?? 'a relay server'}) that passes on sealed messages it cannot read`;
  }
}

/** This site's place in the swarm, as the page's first line says it. */
export function membershipSentence(view: InSwarm): string {
  const members = hospitals(view.members.length);
  if (view.thisSite === null) {
    return `This site is no longer a member of the swarm \u201c${view.name}\u201d (${members}). It keeps its copy of the record.`;
  }
  return `This site takes part as ${view.thisSite} in the swarm \u201c${view.name}\u201d, with ${members} and no hub.`;
}

/** The privacy the swarm has spent once a round finished, in words with the figure. */
export function privacySpentWords(epsilon: number | null): string {
  if (epsilon === null) return 'Not recorded';
  if (epsilon === 0) return 'None: this task adds no privacy noise';
  return `${epsilon.toFixed(2)} (the privacy budget used so far; lower is more private)`;
}
