// The `radfed` command: one entry, subcommands registered by the files beside this one.
import { Command, CommanderError } from 'commander';
import { RADFED_RELEASE } from '../shared/federation/index.ts';
import { reportFailure } from './failure.ts';

type RegisterCommands = (program: Command) => void;

/**
 * Each command family loads its code, and what that code needs (TensorFlow.js, Fastify, SQLite, the
 * DICOM network stack), only when it runs: `radfed deid` on a few files should not wait for the
 * hub's web server to load. Listed in the order `radfed --help` shows them.
 */
const COMMAND_FAMILIES: Readonly<Record<string, () => Promise<RegisterCommands>>> = {
  synth: async () => (await import('./synth-command.ts')).registerSynthCommand,
  deid: async () => (await import('./deid-command.ts')).registerDeidCommand,
  site: async () => (await import('./site-commands.ts')).registerSiteCommands,
  hub: async () => (await import('./hub-commands.ts')).registerHubCommands,
  demo: async () => (await import('./demo-command.ts')).registerDemoCommand,
  bench: async () => (await import('./bench-commands.ts')).registerBenchCommands,
  privacy: async () => (await import('./privacy-command.ts')).registerPrivacyCommands,
  swarm: async () => (await import('./swarm-commands.ts')).registerSwarmCommands,
  relay: async () => (await import('./relay-commands.ts')).registerRelayCommands,
};

/** The program with the family `argv` names, or with every family (help, or an unknown command). */
export async function buildProgram(argv: readonly string[] = []): Promise<Command> {
  const program = new Command('radfed')
    .description(
      'RadFed: de-identify DICOM at each hospital, train locally, and share only masked model updates.',
    )
    .version(RADFED_RELEASE)
    .showHelpAfterError('(run with --help to see the usage)')
    .exitOverride();
  const first = argv[0];
  const families =
    first !== undefined && Object.hasOwn(COMMAND_FAMILIES, first) ? [first] : Object.keys(COMMAND_FAMILIES);
  for (const family of families) (await COMMAND_FAMILIES[family]!())(program);
  for (const command of program.commands) applyCommonSettings(command);
  return program;
}

function applyCommonSettings(command: Command): void {
  command.exitOverride().showHelpAfterError('(run with --help to see the usage)');
  for (const sub of command.commands) applyCommonSettings(sub);
}

/** Runs the command line and returns the exit status: 0 done, 1 could not run, 2 wrong usage. */
export async function main(argv: readonly string[]): Promise<number> {
  const program = await buildProgram(argv);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version exit with code 0; usage mistakes were already printed by commander.
      return error.exitCode === 0 ? 0 : 2;
    }
    return reportFailure(error);
  }
}
