// The Swarm page's view of the swarm this site is in, read from the site's own swarm.db without
// writing to it: the database is opened read-only (a running `radfed swarm serve` may hold it), and
// every entry is verified again, signature by signature, with the swarm room's own checks
// (verifyChain), so the page can say whether this copy of the ledger holds together. Nothing here
// starts a member or talks to a peer. The swarm room (main/site/swarm) is used through its door only.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import type { Database as SqliteDatabase } from 'better-sqlite3';
import { openSqliteDatabase } from '../../../shared/node/index.ts';
import type { SwarmMemberView, SwarmRoundView, SwarmStatusView } from '../../../shared/ipc/index.ts';
import { loadPrivateKey, publicKeyOf } from '../../../shared/node/federation/index.ts';
import {
  LedgerVerificationError,
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
  const db = openSqliteDatabase(paths.db, { readOnly: true, synchronous: 'NORMAL' });
  try {
    const read = readVerifiedLedger(db, paths.db);
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
  readonly names: ReadonlyMap<string, string>;
  readonly lastAggregate: AggregateBody | null;
}

/** A prefix of a copy that verified: its first `height` rows, by the SHA-256 of their stored bytes. */
interface VerifiedPrefix {
  readonly height: number;
  readonly digest: string;
  readonly state: MembershipState | null;
  readonly names: ReadonlyMap<string, string>;
  readonly lastAggregate: AggregateBody | null;
}

/**
 * By swarm.db path. The page asks every few seconds, and verifying every signature of a long ledger takes
 * about a second per thousand entries (docs/swarm-learning.md, Figures): a prefix whose stored bytes are
 * unchanged is not verified again, only the entries after it. Any change to a verified entry changes the
 * digest, and the whole copy is verified again.
 */
const verifiedPrefixes = new Map<string, VerifiedPrefix>();

function rowBytes(row: EntryRow): string {
  const parts = [row.entry_json, row.signatures_json, row.view_change_json ?? ''];
  return parts.map((part) => `${part.length}:${part}`).join('');
}

function readVerifiedLedger(db: SqliteDatabase, path: string): ReadLedger {
  const columns = db
    .prepare<[], { name: string }>("SELECT name FROM pragma_table_info('ledger_entries')")
    .all();
  const viewChange = columns.some((c) => c.name === 'view_change_json') ? 'view_change_json' : 'NULL';
  const select = (where: string) =>
    db.prepare<[number], EntryRow>(
      `SELECT entry_json, signatures_json, ${viewChange} AS view_change_json FROM ledger_entries WHERE ${where} ORDER BY height`,
    );
  let digest = createHash('sha256');
  let start: VerifiedPrefix = { height: 0, digest: '', state: null, names: new Map(), lastAggregate: null };
  const cached = verifiedPrefixes.get(path);
  if (cached) {
    for (const row of select('height < ?').iterate(cached.height)) digest.update(rowBytes(row));
    if (digest.copy().digest('hex') === cached.digest) start = cached;
    else digest = createHash('sha256');
  }
  let { state, lastAggregate } = start;
  const names = new Map(start.names);
  let height = start.height;
  for (const row of select('height >= ?').iterate(height)) {
    try {
      // One entry at a time, so what verified before a bad entry is kept and shown.
      const step = verifyChain(state, [parseRow(row)])[0];
      if (step === undefined) break;
      const body = step.signed.entry.body;
      if (body.kind === 'genesis') names.set(body.founder.id, body.founder.name);
      if (body.kind === 'join') names.set(body.member.id, body.member.name);
      if (body.kind === 'aggregate-commit') lastAggregate = body;
      state = step.state;
      digest.update(rowBytes(row));
      height += 1;
    } catch (error) {
      const problem =
        error instanceof LedgerVerificationError ? error.message : 'an entry could not be read.';
      remember(path, { height, digest: digest.copy().digest('hex'), state, names, lastAggregate });
      // The page shows what the entries before it say, and that the copy is damaged from here on.
      return { state, check: { verified: false, failedAt: height, problem }, names, lastAggregate };
    }
  }
  remember(path, { height, digest: digest.digest('hex'), state, names, lastAggregate });
  return { state, check: { verified: true, failedAt: null, problem: null }, names, lastAggregate };
}

function remember(path: string, prefix: VerifiedPrefix): void {
  verifiedPrefixes.set(path, { ...prefix, names: new Map(prefix.names) });
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
