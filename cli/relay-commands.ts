// `radfed relay init|admit|serve --dir R`: a relay for swarm members that accept no inbound connection,
// which is no member of any swarm (main/site/swarm/relay/). Its operator (a hub's coordinator, or any
// server with an open port) admits the swarms it serves by id; members behind NAT give its address
// (relay+https://host:port/<fingerprint>) as theirs at `radfed swarm join --relay`. It prints no key.
import type { Command } from 'commander';
import { resolve } from 'node:path';
import {
  admitSwarm,
  prepareRelayHome,
  readRelaySettings,
  relayMemberAddress,
  startRelayHome,
} from '../main/site/swarm/index.ts';
import { parsePort } from './arguments.ts';
import { CliError } from './failure.ts';
import { createLogger } from '../shared/node/index.ts';

export function registerRelayCommands(program: Command): void {
  const relay = program
    .command('relay')
    .summary('a blind mailbox for swarm members behind NAT: no member, holds no swarm key')
    .description(
      'A relay for swarm members that accept no inbound connection. It queues messages sealed end to end ' +
        'between members and forwards their answers; it is no member of the swarm, holds no key that opens a ' +
        'message, and serves only the swarms its operator admitted, to their members (mutual TLS, checked ' +
        'against its verified copy of each swarm\u2019s ledger). Every relayed byte crosses two links: twice ' +
        'the traffic of a direct link. See docs/swarm-learning.md, "The relay".',
    );

  relay
    .command('init')
    .description('make the relay\u2019s key and settings in a folder, and print the address members use')
    .requiredOption('--dir <folder>', 'the relay folder (its key, relay.json and ledger copies go here)')
    .requiredOption('--address <url>', 'the https:// address members reach the relay at, with its port')
    .action((flags: { dir: string; address: string }) => {
      const address = prepareRelayHome(resolve(flags.dir), flags.address);
      process.stdout.write(
        `Relay ready. A member behind NAT joins a swarm with \`radfed swarm join … --relay ${address}\`\n` +
          `(the address pins this relay\u2019s key). Next: \`radfed relay admit --dir ${flags.dir} --swarm <id>\` ` +
          `for each swarm it should serve, then \`radfed relay serve --dir ${flags.dir}\`.\n`,
      );
    });

  relay
    .command('admit')
    .description(
      'serve a swarm (its id from `radfed swarm status --json` at a member); restart serve to apply',
    )
    .requiredOption('--dir <folder>', 'the relay folder')
    .requiredOption('--swarm <id>', 'the swarm\u2019s id: 64 hex digits')
    .action((flags: { dir: string; swarm: string }) => {
      const dir = resolve(flags.dir);
      const added = admitSwarm(dir, flags.swarm.trim().toLowerCase());
      process.stdout.write(
        added
          ? `The relay now serves swarm ${flags.swarm.slice(0, 8)}: its members may leave messages for each other here. ` +
              'Restart `radfed relay serve` if it runs.\n'
          : `The relay already serves swarm ${flags.swarm.slice(0, 8)}.\n`,
      );
    });

  relay
    .command('serve')
    .description('run the relay until stopped')
    .requiredOption('--dir <folder>', 'the relay folder')
    .option('--host <address>', 'the local address to listen on (default: every interface)')
    .option('--port <n>', 'the port to listen on (default: the port of the relay\u2019s address)', (v) =>
      parsePort(v, '--port', { anyFree: false }),
    )
    .action(async (flags: { dir: string; host?: string; port?: number }) => {
      const dir = resolve(flags.dir);
      const settings = readRelaySettings(dir);
      if (settings.swarms.length === 0)
        throw new CliError(
          'This relay serves no swarm yet: run `radfed relay admit --dir <folder> --swarm <id>` first.',
        );
      const running = await startRelayHome(dir, {
        // Warnings to stderr, so stdout keeps the sentences for the person.
        logger: createLogger({ room: 'cli', defaultLevel: 'warn', destination: 'stderr' }),
        ...(flags.host ? { host: flags.host } : {}),
        ...(flags.port ? { port: flags.port } : {}),
      });
      process.stdout.write(
        `Relay serving ${settings.swarms.length} swarm${settings.swarms.length === 1 ? '' : 's'} on port ${running.port}; ` +
          `members behind NAT use ${relayMemberAddress(dir)}. Stop with Ctrl+C.\n`,
      );
      await new Promise<void>((done) => {
        process.once('SIGINT', done);
        process.once('SIGTERM', done);
      });
      await running.close();
      process.stdout.write('Stopped. Messages not yet collected are dropped; their senders try again.\n');
    });
}
