// `radfed hub coordinator …`: the accounts that may sign in to the hub dashboard (/dashboard on the
// hub's HTTPS port). Passwords are typed without echo, read from stdin, or generated and printed once;
// the hub keeps only scrypt hashes, in its database (the folder's SQLite file, or the PostgreSQL database
// its store.json names), so every replica of a hub knows the same coordinators.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import type { Command } from 'commander';
import {
  checkPasswordStrength,
  checkUserName,
  generatePassword,
  listCoordinators,
  MIN_PASSWORD_LENGTH,
  removeCoordinator,
  setCoordinatorPassword,
} from '../hub/dashboard/index.ts';
import { CliError } from './failure.ts';

/** Where passwords are read from: the process's stdin, or a stream in tests. */
export interface PasswordInput {
  readonly stdin: NodeJS.ReadableStream & { isTTY?: boolean };
}

export function registerHubDashboardCommands(
  hub: Command,
  input: PasswordInput = { stdin: process.stdin },
): void {
  const coordinator = hub
    .command('coordinator')
    .summary('accounts for the hub dashboard: set-password, list, remove')
    .description(
      'The hub dashboard (https://<hub>:<port>/dashboard/) shows sites, tokens, tasks, rounds and models to\n' +
        'the coordinator after signing in. These commands manage who may sign in; run them on the hub machine.\n' +
        "A changed password or a removed account ends that account's open sessions at once.",
    );

  coordinator
    .command('set-password')
    .summary('create a coordinator account, or give it a new password')
    .requiredOption('--dir <folder>', 'the hub folder')
    .option('--user <name>', 'the coordinator name to sign in with', 'coordinator')
    .option('--password-stdin', 'read the password from standard input (for scripts)')
    .option('--generate', 'make a random 20-character password and print it once')
    .action(async (flags: { dir: string; user: string; passwordStdin?: boolean; generate?: boolean }) => {
      const dir = hubDir(flags.dir);
      checkUserName(flags.user);
      if (flags.passwordStdin && flags.generate) {
        throw new CliError('Give either --password-stdin or --generate, not both.');
      }
      const password = flags.generate
        ? generatePassword()
        : flags.passwordStdin
          ? await readAll(input.stdin)
          : await promptTwice(input.stdin, flags.user);
      checkPasswordStrength(password);
      const { created } = await setCoordinatorPassword(dir, flags.user, password);
      process.stderr.write(
        `${created ? 'Created' : 'Changed the password of'} the coordinator "${flags.user}". ` +
          'Sign in at https://<hub address>:<port>/dashboard/\n',
      );
      if (flags.generate) {
        process.stderr.write('Password (shown once; keep it in your password manager):\n');
        process.stdout.write(`${password}\n`);
      }
    });

  coordinator
    .command('list')
    .summary('list the coordinator accounts')
    .requiredOption('--dir <folder>', 'the hub folder')
    .action(async (flags: { dir: string }) => {
      const accounts = await listCoordinators(hubDir(flags.dir));
      if (accounts.length === 0) {
        process.stdout.write(`No coordinator yet: radfed hub coordinator set-password --dir ${flags.dir}\n`);
        return;
      }
      for (const account of accounts) {
        process.stdout.write(`${account.user}\tpassword set ${account.changedAt}\n`);
      }
    });

  coordinator
    .command('remove')
    .summary('remove a coordinator account (its sessions end)')
    .requiredOption('--dir <folder>', 'the hub folder')
    .requiredOption('--user <name>', 'the coordinator to remove')
    .action(async (flags: { dir: string; user: string }) => {
      await removeCoordinator(hubDir(flags.dir), flags.user);
      process.stderr.write(`Removed the coordinator "${flags.user}".\n`);
    });
}

function hubDir(dir: string): string {
  const root = resolve(dir);
  if (!existsSync(join(root, 'hub.json'))) {
    throw new CliError(
      `${dir} is not a RadFed hub folder; create one with \`radfed hub init --dir ${dir}\`.`,
    );
  }
  return root;
}

async function readAll(stdin: NodeJS.ReadableStream): Promise<string> {
  const parts: Buffer[] = [];
  for await (const part of stdin) parts.push(Buffer.from(part as Buffer | string));
  // One trailing newline is the end of the line, not part of the password.
  return Buffer.concat(parts)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

async function promptTwice(stdin: PasswordInput['stdin'], user: string): Promise<string> {
  if (!stdin.isTTY) {
    throw new CliError(
      'No terminal to type a password in: pipe it with --password-stdin, or use --generate.',
    );
  }
  process.stderr.write(`At least ${MIN_PASSWORD_LENGTH} characters; a passphrase of a few words is good.\n`);
  const first = await ask(stdin, `New password for "${user}": `);
  const second = await ask(stdin, 'Type it again: ');
  if (first !== second) throw new CliError('The two passwords differ; nothing was changed. Try again.');
  return first;
}

/** Asks on the terminal without echoing what is typed. */
function ask(stdin: NodeJS.ReadableStream, question: string): Promise<string> {
  process.stderr.write(question);
  const silent = new Writable({ write: (_chunk, _encoding, done) => done() });
  const rl = createInterface({ input: stdin, output: silent, terminal: true });
  return new Promise((resolveAnswer) =>
    rl.question('', (answer) => {
      rl.close();
      process.stderr.write('\n');
      resolveAnswer(answer);
    }),
  );
}
