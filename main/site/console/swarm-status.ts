// The Swarm page's view of the swarm this site is in, read from the site's own swarm.db without
// writing to it: the database is opened read-only (a running `radfed swarm serve` may hold it), and
// every entry is verified again, signature by signature, with the swarm room's own checks
// (verifyChain), so the page can say whether this copy of the ledger holds together. Nothing here
// starts a member or talks to a peer. The swarm room (main/site/swarm) is used through its door only.
import { existsSync, readFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import type { SwarmMemberView, SwarmRoundView, SwarmStatusView } from '../../../shared/ipc/index.ts';
import { loadPrivateKey, publicKeyOf } from '../../../shared/node/federation/index.ts';
import {
  LedgerVerificationError,
  MAX_ENTRIES_PER_PAGE,
  memberIdFor,
  quorumSize,
  readSwarmSettings,
  relayServerOf,
  swarmPaths,
  verifyChain,
  type EntryBody,
  type MemberCard,
  type MembershipState,
} from '../swarm/index.ts';

interface EntryRow {
  entry_json: string;
  signatures_json: string;
  view_change_json: string | null;
}

/** A member reached through another member carries `relay://<that member's id>` (relay-sealing.ts). */
const MEMBER_RELAY = /^relay:\/\/([0-9a-f]{32})\/?$/;

/** The swarm of the site in `siteDir`, or `{ inSwarm: false }` when it has founded or joined none. */
export function readSwarmStatus(siteDir: string): SwarmStatusView {
  const paths = swarmPaths(siteDir);
  if (!existsSync(paths.db) || !existsSync(paths.settings)) return { inSwarm: false };
  const settings = readSwarmSettings(siteDir);
  const ownId = memberIdFor(publicKeyOf(loadPrivateKey(readFileSync(paths.signingKey, 'utf8'))));
  const db = new Database(paths.db, { readonly: true, fileMustExist: true });
  try {
    const read = readVerifiedLedger(db);
    const state = read.state;
    if (state === null) return { inSwarm: false };
    const nameOf = (id: string): string => read.names.get(id) ?? 'a former member';
    const members = state.members.map((card) => memberView(card, ownId, nameOf));
    return {
      inSwarm: true,
      name: state.name,
      swarmId: state.swarmId,
      thisSite: members.some((m) => m.isThisSite) ? settings.name : null,
      height: state.nextHeight,
      ledger: read.check,
      quorum: {
        needed: quorumSize(state.members.length, state.quorumRule),
        of: state.members.length,
        rule: state.quorumRule,
      },
      members,
      roundsFinished: state.lastCommittedRound,
      currentRound: openRoundView(state, nameOf),
      lastRound: read.lastAggregate ? finishedRoundView(read.lastAggregate, nameOf) : null,
    };
  } finally {
    db.close();
  }
}

type AggregateBody = Extract<EntryBody, { kind: 'aggregate-commit' }>;

interface ReadLedger {
  /** The state after the last entry that verified; null before genesis. */
  readonly state: MembershipState | null;
  readonly check: { verified: boolean; failedAt: number | null; problem: string | null };
  /** Every name a member id ever had in the ledger (members who left keep theirs for old rounds). */
  readonly names: Map<string, string>;
  readonly lastAggregate: AggregateBody | null;
}

function readVerifiedLedger(db: Database.Database): ReadLedger {
  const columns = db
    .prepare<[], { name: string }>("SELECT name FROM pragma_table_info('ledger_entries')")
    .all();
  const viewChange = columns.some((c) => c.name === 'view_change_json') ? 'view_change_json' : 'NULL';
  const page = db.prepare<[number, number], EntryRow>(
    `SELECT entry_json, signatures_json, ${viewChange} AS view_change_json FROM ledger_entries WHERE height >= ? ORDER BY height LIMIT ?`,
  );
  const names = new Map<string, string>();
  let state: MembershipState | null = null;
  let lastAggregate: AggregateBody | null = null;
  for (;;) {
    const from: number = state?.nextHeight ?? 0;
    const rows = page.all(from, MAX_ENTRIES_PER_PAGE);
    if (rows.length === 0) break;
    try {
      for (const step of verifyChain(state, rows.map(parseRow))) {
        const body = step.signed.entry.body;
        if (body.kind === 'genesis') names.set(body.founder.id, body.founder.name);
        if (body.kind === 'join') names.set(body.member.id, body.member.name);
        if (body.kind === 'aggregate-commit') lastAggregate = body;
        state = step.state;
      }
    } catch (error) {
      const height = error instanceof LedgerVerificationError ? error.height : from;
      const problem =
        error instanceof LedgerVerificationError ? error.message : 'an entry could not be read.';
      // The entries before it verified: the page shows what they say, and that the copy is damaged.
      return {
        state: stateUpTo(state, rows, height),
        check: { verified: false, failedAt: height, problem },
        names,
        lastAggregate,
      };
    }
    if (rows.length < MAX_ENTRIES_PER_PAGE) break;
  }
  return { state, check: { verified: true, failedAt: null, problem: null }, names, lastAggregate };
}

/** The state after the entries of `rows` below `height` (verifyChain threw at `height`). */
function stateUpTo(
  state: MembershipState | null,
  rows: readonly EntryRow[],
  height: number,
): MembershipState | null {
  const first = state?.nextHeight ?? 0;
  const good = rows.slice(0, Math.max(0, height - first)).map(parseRow);
  return good.length === 0 ? state : (verifyChain(state, good).at(-1)?.state ?? state);
}

function parseRow(row: EntryRow): unknown {
  // verifyChain checks the shape; a row that is not JSON is refused there as a damaged entry.
  try {
    const signed = {
      entry: JSON.parse(row.entry_json) as unknown,
      signatures: JSON.parse(row.signatures_json) as unknown,
    };
    return row.view_change_json === null
      ? signed
      : { ...signed, viewChange: JSON.parse(row.view_change_json) as unknown };
  } catch {
    return null;
  }
}

function memberView(card: MemberCard, ownId: string, nameOf: (id: string) => string): SwarmMemberView {
  const throughMember = MEMBER_RELAY.exec(card.address)?.[1];
  const server = relayServerOf(card.address);
  const base = { id: card.id, name: card.name, address: card.address, isThisSite: card.id === ownId };
  if (throughMember) return { ...base, reach: 'through-member', via: nameOf(throughMember) };
  if (server) return { ...base, reach: 'through-relay-server', via: new URL(server.url).hostname };
  return { ...base, reach: 'direct', via: null };
}

function openRoundView(state: MembershipState, nameOf: (id: string) => string): SwarmRoundView | null {
  const open = state.openRound;
  if (open === null) return null;
  const names = (ids: readonly string[]) => ids.map(nameOf);
  const common = { round: open.round, modelHash: null, epsilonSpent: null };
  if (open.seed === null) {
    return {
      ...common,
      stage: 'drawing-leader',
      participants: names(open.commits.map((c) => c.member)),
      leader: null,
      leftOut: [],
    };
  }
  return {
    ...common,
    stage: 'under-way',
    participants: names(open.seed.revealed),
    leader: open.seed.order[0] === undefined ? null : nameOf(open.seed.order[0]),
    leftOut: names(open.seed.missing),
  };
}

function finishedRoundView(body: AggregateBody, nameOf: (id: string) => string): SwarmRoundView {
  return {
    round: body.round,
    stage: 'finished',
    participants: body.participants.map(nameOf),
    leader: nameOf(body.leader),
    leftOut: [],
    modelHash: body.model,
    epsilonSpent: body.epsilonSpent,
  };
}
