// The `radfed` command for tests that start it as a child process: the program as bin/radfed.js
// builds it, plus any command family not wired into cli/main.ts yet (hub, demo, site enroll/approve).
import { buildProgram } from '../../../cli/main.ts';
import { registerDemoCommand } from '../../../cli/demo-command.ts';
import { registerHubCommands } from '../../../cli/hub-commands.ts';
import { reportFailure } from '../../../cli/failure.ts';

const program = buildProgram();
const has = (name: string) => program.commands.some((command) => command.name() === name);
if (!has('hub')) registerHubCommands(program);
if (!has('demo')) registerDemoCommand(program);
try {
  await program.parseAsync(process.argv.slice(2), { from: 'user' });
} catch (error) {
  process.exitCode = reportFailure(error);
}
