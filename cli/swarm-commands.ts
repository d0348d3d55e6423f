// `radfed swarm init|serve|invite|join|status|ledger --dir D`: a site in a swarm, with no hub. The
// member's keys, ledger and settings live in the site folder D (main/site/swarm/swarm-site.ts). Output
// is sentences and short ids; no key, secret or patient data is printed (an invitation is printed once,
// for the person to hand over).
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { publicKeyOf } from '../shared/node/federation/index.ts';
import { encodeWeights } from '../shared/federation/index.ts';
import { sha256Hex } from '../shared/node/federation/index.ts';
import {
  approvedTaskPath,
  approveSwarmTask,
  checkSwarmName,
  checkSwarmSiteSettings,
  describeSwarmTask,
  existingMembership,
  initialSwarmModel,
  parseSwarmTask,
  serveSwarmMember,
  swarmModelDir,
  SwarmModelStore,
  type SwarmServiceEvent,
  InvitationBook,
  leaveSwarm,
  parseSwarmInvitation,
  prepareSwarmSite,
  removeMember,
  quorumSize,
  readSwarmSettings,
  relayServerOf,
  startSwarmMember,
  swarmPaths,
  SwarmLedger,
  type MembershipState,
  type QuorumRule,
  type SignedEntry,
  type SwarmNode,
} from '../main/site/swarm/index.ts';
import { parseNonNegativeInt, parsePort, parsePositiveInt } from './arguments.ts';
import { CliError } from './failure.ts';
import { siteLogger } from './site-log.ts';

interface DirFlags {
  dir: string;
  json?: boolean;
}

function parseQuorum(value: string): QuorumRule {
  if (value !== 'majority' && value !== 'two-thirds')
    throw new InvalidArgumentError('--quorum is majority (the default) or two-thirds.');
  return value;
}

/** The ledger in D, read without starting the member's server. */
function withLedger<T>(dir: string, use: (ledger: SwarmLedger, state: MembershipState) => T): T {
  readSwarmSettings(dir);
  const ledger = SwarmLedger.open(swarmPaths(dir).db);
  try {
    const state = ledger.state;
    if (state === null)
      throw new CliError(
        'This site is in no swarm yet: run `radfed swarm init` or `radfed swarm join` first.',
      );
    return use(ledger, state);
  } finally {
    ledger.close();
  }
}

/** The address in this member's card: its own (--address), or the relay's that holds its messages (--relay). */
function memberAddress(flags: { address?: string; relay?: string }): string {
  if ((flags.address === undefined) === (flags.relay === undefined))
    throw new CliError(
      'Give either --address (the https:// address other members reach this site at) or, behind NAT, ' +
        '--relay (the relay+https://… address of a relay).',
    );
  if (flags.relay !== undefined && relayServerOf(flags.relay.trim()) === null)
    throw new CliError(
      '--relay takes the relay+https://host:port/<fingerprint> address that `radfed relay init` printed; copy all of it.',
    );
  return (flags.relay ?? flags.address ?? '').trim();
}

/**
 * Whether init or join should stop because the folder's ledger already holds a swarm: it then writes
 * nothing from the flags (the member's card in every ledger keeps its name and address), except a
 * damaged or missing swarm.json, which is written again from that card; that is said, and is no failure.
 */
function alreadyInSwarm(dir: string, shownDir: string, verb: 'founded' | 'joined'): boolean {
  const existing = existingMembership(dir);
  if (existing === null) return false;
  if (!existing.member)
    throw new CliError(
      `This folder holds the ledger of swarm "${existing.swarm}", of which this site is no longer a member ` +
        '(it left or was removed, or its keys are gone). Choose a new folder to found or join a swarm.',
    );
  if (existing.restored === null)
    throw new CliError(
      `This site is already in swarm "${existing.swarm}" (see \`radfed swarm status\`); nothing was changed.`,
    );
  process.stdout.write(
    `This site is already in swarm "${existing.swarm}", so nothing was ${verb}. Its swarm.json was damaged ` +
      `or missing, and was written again from this site\u2019s entry in the ledger: ${existing.restored.name} at ` +
      `${existing.restored.address}.\nNext: \`radfed swarm status --dir ${shownDir}\`.\n`,
  );
  return true;
}

const short = (id: string) => id.slice(0, 8);
const remaining = (n: number) => `${n} member${n === 1 ? ' remains' : 's remain'}`;

/**
 * This site's member on its own address for one command (peers that are behind catch up from it
 * there); a member already served by `radfed swarm serve` holds that port, and must stop first, so
 * that one process at a time writes its ledger.
 */
async function withOwnMember(dir: string, use: (node: SwarmNode) => Promise<void>): Promise<void> {
  readSwarmSettings(dir);
  let node: SwarmNode;
  try {
    node = await startSwarmMember(dir, { logger: siteLogger(dir) });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE')
      throw new CliError(
        'This site\u2019s swarm port is in use: stop its `radfed swarm serve` first (Ctrl+C or SIGTERM), then run this again.',
      );
    throw error;
  }
  try {
    if (node.ledger.state === null)
      throw new CliError(
        'This site is in no swarm yet: run `radfed swarm init` or `radfed swarm join` first.',
      );
    await use(node);
  } finally {
    await node.stop();
  }
}

export function describeEntry(signed: SignedEntry, state: MembershipState): string {
  const { entry } = signed;
  const name = (id: string) => state.members.find((m) => m.id === id)?.name ?? short(id);
  const body = entry.body;
  const what = (() => {
    switch (body.kind) {
      case 'genesis':
        return `founded "${body.name}" by ${body.founder.name} (quorum rule ${body.quorumRule})`;
      case 'join':
        return `${body.member.name} joined (${short(body.member.id)}, at ${body.member.address})`;
      case 'leave':
        return `${name(body.member)} ${body.reason === 'left' ? 'left' : 'was removed'}`;
      case 'key-rotation':
        return `${name(body.member)} rotated its key`;
      case 'round-start':
        return `round ${body.round} started: ${body.commits.length} nonce commits`;
      case 'round-seed':
        return `round ${body.round} seeded: ${body.reveals.length} reveals`;
      case 'aggregate-commit':
        return `round ${body.round} committed by leader ${name(body.leader)}: model ${short(body.model)}, ${body.participants.length} participants, ε ${body.epsilonSpent}`;
    }
  })();
  return `${String(entry.height).padStart(5)}  ${entry.proposedAt.slice(0, 19).replace('T', ' ')}  ${what}  [${signed.signatures.length} signature${signed.signatures.length === 1 ? '' : 's'}]`;
}

/** A line for the person watching `radfed swarm serve`, or null for events not worth a line. */
export function describeServiceEvent(event: SwarmServiceEvent): string | null {
  switch (event.type) {
    case 'serving':
      return `Taking part in the swarm's task: ${event.lastCommittedRound} of ${event.rounds} rounds committed so far.`;
    case 'round-started':
      return event.attempt > 1
        ? `Started round ${event.round} again (start ${event.attempt}): the last start stalled.`
        : `Started round ${event.round}.`;
    case 'seeded':
      return `Round ${event.round}${event.attempt > 1 ? ` (start ${event.attempt})` : ''} has its seed: leader ${short(event.order[0] ?? '')}.`;
    case 'committed':
      return (
        `Round ${event.round} committed by ${short(event.leader)}: model ${short(event.model)}, ` +
        `${event.participants.length} participants${event.epsilonSpent > 0 ? `, ε ${event.epsilonSpent.toFixed(2)} spent` : ''}.`
      );
    case 'finished':
      if (event.budgetSpent)
        return `The task's privacy budget is spent after ${event.rounds} rounds (model ${short(event.model)}); no more rounds start. Still serving the ledger and model.`;
      return `The task's ${event.rounds} rounds are done (model ${short(event.model)}); still serving the ledger and model to other members.`;
    case 'left':
      return `This site is no longer a member of the swarm (after ${event.rounds} rounds); it takes part in no more rounds.`;
    case 'problem':
      return `Problem: ${event.message}`;
  }
}

export function registerSwarmCommands(program: Command): void {
  const swarm = program
    .command('swarm')
    .summary(
      'train with other hospitals with no hub: a signed membership ledger and an elected leader per round',
    )
    .description(
      'Swarm learning without a hub. The members keep one countersigned ledger of who is a member and of every round; ' +
        'each round the ledger elects a member that averages the updates under secure aggregation, so it learns only their sum. ' +
        'Members talk HTTPS with mutual TLS, each pinning the others\u2019 keys from the ledger. See docs/swarm-learning.md.',
    );

  swarm
    .command('init')
    .description('found a new swarm with this site as its first member')
    .requiredOption('--dir <folder>', 'the site folder (keys, swarm.db and swarm.json go here)')
    .requiredOption('--name <swarm>', 'the swarm\u2019s name, e.g. "Chest CT consortium"')
    .requiredOption('--site-name <name>', 'this hospital\u2019s name, as the other members will see it')
    .option('--address <url>', 'the https:// address other members reach this site at, with its port')
    .option(
      '--relay <address>',
      'behind NAT: the relay+https://… address of the relay that holds this site\u2019s messages',
    )
    .option(
      '--quorum <rule>',
      'majority (default) or two-thirds of members must countersign each entry',
      parseQuorum,
    )
    .action(
      async (flags: {
        dir: string;
        name: string;
        siteName: string;
        address?: string;
        relay?: string;
        quorum?: QuorumRule;
      }) => {
        const dir = resolve(flags.dir);
        // Every argument is checked before anything is made: a refused init leaves no folder behind.
        const settings = checkSwarmSiteSettings({ name: flags.siteName, address: memberAddress(flags) });
        const name = checkSwarmName(flags.name);
        if (alreadyInSwarm(dir, flags.dir, 'founded')) return;
        prepareSwarmSite(dir, settings);
        const node = await startSwarmMember(dir, { logger: siteLogger(dir), host: '127.0.0.1', port: 0 });
        try {
          if (node.ledger.state !== null)
            throw new CliError('This site is already in a swarm (see `radfed swarm status`).');
          const id = node.found(name, flags.quorum ?? 'majority');
          process.stdout.write(
            `Founded swarm "${flags.name}" (id ${short(id)}) with ${flags.siteName} as its first member.\n` +
              `Next: run \`radfed swarm serve --dir ${flags.dir}\` so other members can reach this site, then ` +
              `\`radfed swarm invite --dir ${flags.dir}\` for each hospital that should join.\n`,
          );
        } finally {
          await node.stop();
        }
      },
    );

  swarm
    .command('serve')
    .description('run this member on the peer network (joins, countersigning, rounds) until stopped')
    .requiredOption('--dir <folder>', 'the site folder')
    .option('--host <address>', 'the local address to listen on (default: every interface)')
    .option('--port <n>', 'the port to listen on (default: the port of this site\u2019s address)', (v) =>
      parsePort(v, '--port', { anyFree: false }),
    )
    .action(async (flags: { dir: string; host?: string; port?: number }) => {
      const dir = resolve(flags.dir);
      const member = await serveSwarmMember(dir, {
        logger: siteLogger(dir),
        ...(flags.host ? { host: flags.host } : {}),
        ...(flags.port ? { port: flags.port } : {}),
        onEvent: (event) => {
          const line = describeServiceEvent(event);
          if (line) process.stdout.write(`${line}\n`);
        },
      });
      const { node } = member;
      process.stdout.write(
        `Swarm member ${node.identity.name} is serving at ${node.identity.address}. Stop with Ctrl+C.\n` +
          (member.service
            ? ''
            : 'It approved no swarm task, so it answers the other members but trains nothing; approve one with `radfed swarm task`.\n'),
      );
      await new Promise<void>((done) => {
        process.once('SIGINT', done);
        process.once('SIGTERM', done);
      });
      // The rounds stop first (a round in flight goes on without this member), then the server.
      await member.stop();
      process.stdout.write(
        'Stopped. The ledger and models are kept; `radfed swarm serve` resumes from them.\n',
      );
    });

  swarm
    .command('task')
    .description(
      'approve the task this swarm trains (a JSON file); the founder\u2019s copy gets the initial model and is handed to the others',
    )
    .requiredOption('--dir <folder>', 'the site folder of a member')
    .requiredOption('--file <task.json>', 'the swarm task file')
    .action(async (flags: { dir: string; file: string }) => {
      const dir = resolve(flags.dir);
      readSwarmSettings(dir);
      let json: unknown;
      try {
        json = JSON.parse(readFileSync(resolve(flags.file), 'utf8'));
      } catch {
        throw new CliError(`${flags.file} is not a readable JSON file; give the swarm task file.`);
      }
      const fields = json && typeof json === 'object' ? (json as Record<string, unknown>) : {};
      // A task file without its initial model is the founder's draft: the model is made here, from the
      // task's training (its seed is fixed), kept on disk, and its hash written into the approved file.
      let initial: Uint8Array | null = null;
      if (fields.initialModel === undefined) {
        const draft = parseSwarmTask({ ...fields, initialModel: '0'.repeat(64) });
        initial = encodeWeights(await initialSwarmModel(draft));
        fields.initialModel = sha256Hex(initial);
      }
      const task = parseSwarmTask(fields);
      const hash = approveSwarmTask(dir, task);
      if (initial) new SwarmModelStore(swarmModelDir(dir)).keep(task.initialModel, initial);
      process.stdout.write(
        `${describeSwarmTask(task)}\nApproved (task ${short(hash)}). ` +
          (initial
            ? `Hand ${approvedTaskPath(dir)} to the other members: each approves that file, and fetches the initial model from this site.\n`
            : 'Start `radfed swarm serve` to take part in its rounds.\n'),
      );
    });

  swarm
    .command('invite')
    .description('print a one-time invitation (rfs1.…) for a hospital to join this swarm, valid 7 days')
    .requiredOption('--dir <folder>', 'the site folder of a member')
    .option('--days <n>', 'how many days the invitation stays valid', (v) => parsePositiveInt(v, '--days'))
    .action((flags: { dir: string; days?: number }) => {
      const dir = resolve(flags.dir);
      const settings = readSwarmSettings(dir);
      const ownKey = publicKeyOf(readFileSync(swarmPaths(dir).signingKey, 'utf8'));
      withLedger(dir, (ledger, state) => {
        const own = state.members.find((m) => m.signingKey === ownKey);
        if (!own) throw new CliError('This site is not a member of the swarm in its ledger.');
        const token = new InvitationBook(ledger.db).issue({
          swarmId: state.swarmId,
          inviterAddress: settings.address,
          inviterKeyFingerprint: own.id,
          now: new Date(),
          ...(flags.days ? { validForDays: flags.days } : {}),
        });
        process.stdout.write(
          `${token}\nHand this invitation to the joining hospital; it works once. This site must be serving ` +
            '(`radfed swarm serve`) when they join.\n',
        );
      });
    });

  swarm
    .command('join')
    .description('join a swarm with the invitation a member gave you')
    .argument('<invitation>', 'the rfs1.… invitation')
    .requiredOption('--dir <folder>', 'the site folder (keys, swarm.db and swarm.json go here)')
    .requiredOption('--site-name <name>', 'this hospital\u2019s name, as the other members will see it')
    .option(
      '--address <url>',
      'the https:// address other members reach this site at, with its port; relay://<member id> when a member relays for it',
    )
    .option(
      '--relay <address>',
      'behind NAT: the relay+https://… address of the relay that holds this site\u2019s messages (`radfed relay init` prints it)',
    )
    .action(
      async (
        invitation: string,
        flags: { dir: string; siteName: string; address?: string; relay?: string },
      ) => {
        const dir = resolve(flags.dir);
        // Every argument is checked before anything is made: a refused join leaves no folder behind.
        const settings = checkSwarmSiteSettings({ name: flags.siteName, address: memberAddress(flags) });
        parseSwarmInvitation(invitation.trim());
        if (alreadyInSwarm(dir, flags.dir, 'joined')) return;
        prepareSwarmSite(dir, settings);
        const node = await startSwarmMember(dir, { logger: siteLogger(dir), host: '127.0.0.1', port: 0 });
        try {
          if (node.ledger.state !== null)
            throw new CliError('This site is already in a swarm (see `radfed swarm status`).');
          await node.join(invitation.trim());
          const state = node.state;
          process.stdout.write(
            `Joined swarm "${state.name}" (id ${short(state.swarmId)}): ${state.members.length} members, ` +
              `${state.members.map((m) => m.name).join(', ')}.\nNext: \`radfed swarm serve --dir ${flags.dir}\`.\n`,
          );
        } finally {
          await node.stop();
        }
      },
    );

  swarm
    .command('leave')
    .description(
      'leave the swarm: the other members countersign it, and rounds after it go on without this site',
    )
    .requiredOption('--dir <folder>', 'the site folder of a member (stop its `radfed swarm serve` first)')
    .action(async (flags: { dir: string }) => {
      await withOwnMember(resolve(flags.dir), async (node) => {
        const signed = await leaveSwarm(node);
        process.stdout.write(
          `${node.identity.name} left the swarm at ledger height ${signed.entry.height} ` +
            `(${signed.signatures.length} signatures); ${remaining(node.state.members.length)}. ` +
            'This folder keeps the ledger up to that entry.\n',
        );
      });
    });

  swarm
    .command('remove')
    .description(
      'remove another member (gone for good, or misbehaving); a quorum of members must countersign',
    )
    .argument('<member>', 'the member\u2019s id, or its first 8 hex digits (see `radfed swarm status`)')
    .requiredOption('--dir <folder>', 'the site folder of a member (stop its `radfed swarm serve` first)')
    .action(async (member: string, flags: { dir: string }) => {
      await withOwnMember(resolve(flags.dir), async (node) => {
        const signed = await removeMember(node, member.trim().toLowerCase());
        process.stdout.write(
          `Removed member ${short(member)} at ledger height ${signed.entry.height} ` +
            `(${signed.signatures.length} signatures); ${remaining(node.state.members.length)}.\n`,
        );
      });
    });

  swarm
    .command('status')
    .description('the swarm this site is in: members, quorum, ledger height, rounds')
    .requiredOption('--dir <folder>', 'the site folder')
    .option('--json', 'print as JSON')
    .action((flags: DirFlags) => {
      withLedger(resolve(flags.dir), (_ledger, state) => {
        const quorum = quorumSize(state.members.length, state.quorumRule);
        const view = {
          swarm: state.name,
          id: state.swarmId,
          height: state.nextHeight - 1,
          quorum: { rule: state.quorumRule, needed: quorum, of: state.members.length },
          members: state.members.map((m) => ({ name: m.name, id: m.id, address: m.address })),
          lastCommittedRound: state.lastCommittedRound,
          openRound: state.openRound?.round ?? null,
          // Each start of the open round (2, 3, … when it stalled and started again with fresh commits).
          openRoundStart: state.openRound?.attempt ?? null,
        };
        if (flags.json) {
          process.stdout.write(`${JSON.stringify(view, null, 2)}\n`);
          return;
        }
        process.stdout.write(
          [
            `Swarm "${state.name}" (id ${short(state.swarmId)}), ledger height ${view.height}.`,
            `Each entry needs ${quorum} of ${state.members.length} members' signatures (${state.quorumRule}).`,
            `Rounds committed: ${state.lastCommittedRound}${view.openRound ? `; round ${view.openRound} is open${(view.openRoundStart ?? 1) > 1 ? ` (start ${view.openRoundStart})` : ''}` : ''}.`,
            'Members:',
            ...state.members.map((m) => `  ${m.name}  ${short(m.id)}  ${m.address}`),
          ].join('\n') + '\n',
        );
      });
    });

  swarm
    .command('ledger')
    .description('list the ledger\u2019s entries, oldest first')
    .requiredOption('--dir <folder>', 'the site folder')
    .option('--from <height>', 'start at this height', (v) => parseNonNegativeInt(v, '--from'), 0)
    .option('--limit <n>', 'at most this many entries', (v) => parsePositiveInt(v, '--limit'), 100)
    .option('--json', 'print the signed entries as JSON')
    .action((flags: DirFlags & { from: number; limit: number }) => {
      withLedger(resolve(flags.dir), (ledger, state) => {
        const entries = ledger.entries(flags.from, Math.min(flags.limit, 1000));
        if (flags.json) process.stdout.write(`${JSON.stringify(entries, null, 2)}\n`);
        else process.stdout.write(entries.map((e) => describeEntry(e, state)).join('\n') + '\n');
      });
    });
}
