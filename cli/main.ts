// The `radfed` command: one entry, subcommands registered by the files beside this one.
import { Command, CommanderError } from 'commander';
import { registerBenchCommands } from './bench-commands.ts';
import { registerDeidCommand } from './deid-command.ts';
import { registerDemoCommand } from './demo-command.ts';
import { reportFailure } from './failure.ts';
import { registerHubCommands } from './hub-commands.ts';
import { registerSiteCommands } from './site-commands.ts';
import { registerSynthCommand } from './synth-command.ts';

export function buildProgram(): Command {
  const program = new Command('radfed')
    .description(
      'RadFed: de-identify DICOM at each hospital, train locally, and share only masked model updates.',
    )
    .version('0.1.0')
    .showHelpAfterError('(run with --help to see the usage)')
    .exitOverride();
  registerSynthCommand(program);
  registerDeidCommand(program);
  registerSiteCommands(program);
  registerHubCommands(program);
  registerDemoCommand(program);
  registerBenchCommands(program);
  for (const command of program.commands) applyCommonSettings(command);
  return program;
}

function applyCommonSettings(command: Command): void {
  command.exitOverride().showHelpAfterError('(run with --help to see the usage)');
  for (const sub of command.commands) applyCommonSettings(sub);
}

/** Runs the command line and returns the exit status: 0 done, 1 could not run, 2 wrong usage. */
export async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
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
