// `radfed hub …`: create and run a federation hub, enroll sites, define tasks, export models.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import {
  bestModelVersion,
  checkTaskDefinition,
  createEnrollmentToken,
  describeTaskProblems,
  createTask,
  DEFAULT_HUB_PORT,
  definitionOf,
  describeRoundNorms,
  exportModel,
  findTask,
  initHub,
  listModels,
  openHubContextFor,
  startHub,
  stopTask,
  taskView,
  type HubContext,
  type TaskRow,
  checkProxyAddresses,
} from '../hub/index.ts';
import { parseNonNegativeInt, parsePort } from './arguments.ts';
import { registerHubDashboardCommands } from './hub-dashboard-commands.ts';
import { keepSplitTrunks } from './hub-split-trunks.ts';
import {
  addStoreOptions,
  checkStoreFlags,
  initHubStore,
  registerHubMigrateCommand,
  storeOf,
  type StoreFlags,
} from './hub-store-commands.ts';
import { JsonTextError, parseJsonText } from '../shared/json-text.ts';
import { errorCode } from '../shared/log-safety.ts';
import { CliError } from './failure.ts';
import { describePrivacyBudget } from './privacy-command.ts';
import {
  addPatientDpOptions,
  describeCreatedPatientDp,
  hasNoiseMultiplier,
  withPatientDp,
  type PatientDpFlags,
} from './task-privacy-flags.ts';

export function registerHubCommands(program: Command): void {
  const hub = program
    .command('hub')
    .summary('run a federation hub: init, serve, enroll sites, tasks, models')
    .description(
      'Commands for the coordinator: a hub folder holds its database, blobs, certificates and keys.',
    );

  addStoreOptions(
    hub
      .command('init')
      .summary('create a new hub folder')
      .description(
        'Create a hub: SQLite database, blob store, its own CA and TLS certificate, an Ed25519 signing key and\n' +
          'an X25519 key for encrypted uploads (private keys mode 0600). Every name or address sites will use to\n' +
          'reach the hub must be given with --host: the TLS certificate is valid for those only.',
      )
      .requiredOption('--dir <folder>', 'the hub folder to create')
      .option('--host <names...>', 'host names and IP addresses sites dial (default: localhost 127.0.0.1)')
      .option('--name <name>', 'a name for the hub (default: the folder name)')
      .option('--port <port>', `the port to serve on (default ${DEFAULT_HUB_PORT})`, (v) =>
        parsePort(v, '--port', { anyFree: true }),
      ),
  ).action(async (flags: StoreFlags & { dir: string; host?: string[]; name?: string; port?: number }) => {
    await checkStoreFlags(flags);
    const { config, layout } = await initHub({
      dir: resolve(flags.dir),
      hosts: flags.host ?? [],
      ...(flags.name ? { name: flags.name } : {}),
      ...(flags.port !== undefined ? { port: flags.port } : {}),
    });
    const onPostgres = await initHubStore(layout.root, flags);
    process.stdout.write(
      `Created hub "${config.name}" in ${layout.root}\n  certificate for: ${config.hosts.join(', ')}\n` +
        (onPostgres ?? '') +
        `  next: radfed hub serve --dir ${flags.dir}\n`,
    );
  });

  addStoreOptions(
    hub
      .command('serve')
      .summary('run the hub over HTTPS until stopped')
      .requiredOption('--dir <folder>', 'the hub folder')
      .option('--port <port>', 'the port (default: the one in hub.json; 0 picks a free one)', (v) =>
        parsePort(v, '--port', { anyFree: true }),
      )
      .option('--host <address>', 'the address to listen on (0.0.0.0 for all)', '127.0.0.1')
      .option(
        '--proxy-from <addresses>',
        'behind a TCP load balancer (HAProxy `send-proxy-v2`): its IP addresses, comma separated. ' +
          'Connections from them must begin with a PROXY v2 header naming the client, whose address the ' +
          'sign-in limit and the logs then see; a header from any other address is refused',
        parseProxyFrom,
      ),
  ).action(async (flags: StoreFlags & { dir: string; port?: number; host: string; proxyFrom?: string[] }) => {
    const running = await startHub({
      dir: resolve(flags.dir),
      host: flags.host,
      store: storeOf(flags),
      ...(flags.proxyFrom ? { proxyFrom: flags.proxyFrom } : {}),
      ...(flags.port !== undefined ? { port: flags.port } : {}),
    });
    process.stdout.write(`RadFed hub listening on ${running.url}\n`);
    // Split-learning tasks: their trunks run in this process (built when such a task is active).
    const trunks = await keepSplitTrunks(running);
    await new Promise<void>((done) => {
      const stop = () => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        trunks.close();
        void running.close().then(() => {
          process.stdout.write('Hub stopped.\n');
          done();
        });
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
  });

  hub
    .command('token')
    .summary('make a one-time enrollment token for a site')
    .description(
      'Prints a token that carries the hub address, a one-time secret and fingerprints of the hub CA and\n' +
        'signing key (so the site can tell the real hub from an impostor on first contact). Give it to the\n' +
        'site operator by a channel you trust.',
    )
    .requiredOption('--dir <folder>', 'the hub folder')
    .option('--site <name>', 'the only site name this token may enroll')
    .option('--expires <duration>', 'how long it stays valid: 30m, 24h, 7d', parseDuration, 24 * 3600 * 1000)
    .option('--url <url>', 'the address sites dial (default https://<first host>:<port>)')
    .action((flags: { dir: string; site?: string; expires: number; url?: string }) =>
      withHub(flags.dir, async (ctx) => {
        const hubUrl = flags.url ?? `https://${ctx.config.hosts[0]}:${ctx.config.port}`;
        checkHubUrl(hubUrl);
        const created = await createEnrollmentToken(ctx, {
          hubUrl,
          expiresInMs: flags.expires,
          ...(flags.site ? { siteName: flags.site } : {}),
        });
        process.stderr.write(
          `Enrollment token for ${created.siteName ? `site "${created.siteName}"` : 'any site name'}, valid once until ${created.expiresAt}:\n`,
        );
        process.stdout.write(`${created.token}\n`);
      }),
    );

  registerHubMigrateCommand(hub);
  registerTaskCommands(hub);
  registerModelCommands(hub);
  registerHubDashboardCommands(hub);
}

function registerTaskCommands(hub: Command): void {
  const task = hub.command('task').summary('define, list, show and stop federated tasks');

  addPatientDpOptions(task.command('create'))
    .summary('create a task from a JSON definition')
    .requiredOption('--dir <folder>', 'the hub folder')
    .requiredOption('--file <task.json>', 'the task definition')
    .option(
      '--weights <file>',
      'initial global model (RFW1 weights); without it the first joined site sends one',
    )
    .option(
      '--max-update-norm <norm>',
      "largest L2 norm of one site's update (overrides maxUpdateNorm in the file)",
      parsePositiveNumber,
    )
    .option('--refuse-large-updates', 'refuse an update above the bound instead of clipping it')
    .action(
      (
        flags: PatientDpFlags & {
          dir: string;
          file: string;
          weights?: string;
          maxUpdateNorm?: number;
          refuseLargeUpdates?: boolean;
        },
      ) =>
        withHub(flags.dir, async (ctx) => {
          // The same check as the dashboard's "new task" form (hub/task-checks.ts).
          const input = withPatientDp(withUpdateBounds(readJson(flags.file), flags), flags);
          const checked = checkTaskDefinition(input);
          if (!checked.ok) {
            throw new CliError(
              `The task in ${flags.file} is not valid:\n${describeTaskProblems(checked.problems)}`,
            );
          }
          for (const warning of checked.warnings) process.stderr.write(`Warning: ${warning}\n`);
          const weights = flags.weights ? readFileSync(resolve(flags.weights)) : undefined;
          const row = await createTask(ctx, checked.definition, weights);
          const created = definitionOf(row);
          process.stdout.write(
            `Created task ${row.id} ("${row.name}")${weights ? ' with initial weights' : ''}; ` +
              `updates whose trained values have an L2 norm above ${created.maxUpdateNorm} are ${created.updateNormPolicy === 'clip' ? 'clipped' : 'refused'}\n` +
              describeCreatedPatientDp(created, !hasNoiseMultiplier(input)),
          );
        }),
    );

  task
    .command('list')
    .summary('list tasks')
    .requiredOption('--dir <folder>', 'the hub folder')
    .option('--json', 'print JSON')
    .action((flags: { dir: string; json?: boolean }) =>
      withHub(flags.dir, async (ctx) => {
        const rows = await ctx.store.tasks.listTasks();
        if (flags.json) {
          const views = [];
          for (const row of rows) views.push(await taskView(ctx, row, null));
          return print(views);
        }
        if (rows.length === 0) return void process.stdout.write('No tasks yet (radfed hub task create).\n');
        for (const row of rows) process.stdout.write(`${await describeTaskLine(ctx, row)}\n`);
      }),
    );

  task
    .command('show')
    .summary('a task: definition, rounds, models and metrics')
    .requiredOption('--dir <folder>', 'the hub folder')
    .argument('<task>', 'task id or name')
    .option('--json', 'print JSON')
    .action((taskId: string, flags: { dir: string; json?: boolean }) =>
      withHub(flags.dir, async (ctx) => {
        const row = await findTask(ctx, taskId);
        const rounds = await ctx.store.tasks.rounds(row.id);
        const models = await listModels(ctx, row.id);
        const view = await taskView(ctx, row, null);
        if (flags.json) return print({ task: view, rounds, models });
        const lines = [
          await describeTaskLine(ctx, row),
          `  definition: ${JSON.stringify(definitionOf(row))}`,
        ];
        const budget = view.privacyBudget;
        if (budget) lines.push(`  ${describePrivacyBudget(budget)}`);
        for (const round of rounds) {
          const accepted = (await ctx.store.uploads.acceptedUpdates(row.id, round.number)).length;
          const norms = await describeRoundNorms(ctx, row.id, round.number);
          lines.push(
            `  round ${round.number}: ${round.state}, ${accepted} update${accepted === 1 ? '' : 's'}` +
              `${norms ? `; ${norms}` : ''}${round.failure_reason ? ` (${round.failure_reason})` : ''}`,
          );
        }
        for (const model of models) {
          const m = model.metrics;
          lines.push(
            `  model v${model.version} (round ${model.round}): ` +
              (m.sites > 0
                ? `accuracy ${fmt(m.accuracy)}, AUC ${fmt(m.auc)}, loss ${fmt(m.loss)} over ${m.n} examples at ${m.sites} sites`
                : 'not evaluated yet'),
          );
        }
        process.stdout.write(`${lines.join('\n')}\n`);
      }),
    );

  task
    .command('stop')
    .summary('stop a task (its open round fails; sites stop training for it)')
    .requiredOption('--dir <folder>', 'the hub folder')
    .argument('<task>', 'task id or name')
    .action((taskId: string, flags: { dir: string }) =>
      withHub(flags.dir, async (ctx) => {
        const row = await stopTask(ctx, taskId);
        process.stdout.write(`Stopped task ${row.id} ("${row.name}").\n`);
      }),
    );
}

function registerModelCommands(hub: Command): void {
  const model = hub.command('model').summary('the model registry: list and export global models');

  model
    .command('list')
    .summary("every global model version of a task, with the sites' metrics")
    .requiredOption('--dir <folder>', 'the hub folder')
    .requiredOption('--task <task>', 'task id or name')
    .option('--json', 'print JSON')
    .action((flags: { dir: string; task: string; json?: boolean }) =>
      withHub(flags.dir, async (ctx) => {
        const models = await listModels(ctx, flags.task);
        const best = bestModelVersion(models);
        if (flags.json) return print(models.map((m) => ({ ...m, best: m.version === best?.version })));
        if (models.length === 0) return void process.stdout.write('No global model yet.\n');
        for (const m of models) {
          const mark =
            m.version === best?.version
              ? `  ← best (${best.by === 'auc' ? 'highest AUC' : 'lowest loss'})`
              : '';
          process.stdout.write(
            `v${m.version}  round ${m.round}  ${m.bytes} bytes  sha256 ${m.sha256.slice(0, 12)}…  ` +
              `accuracy ${fmt(m.metrics.accuracy)}  AUC ${fmt(m.metrics.auc)}  loss ${fmt(m.metrics.loss)}  (${m.metrics.sites} sites, n=${m.metrics.n})${mark}\n`,
          );
        }
      }),
    );

  model
    .command('export')
    .summary('write a global model in TensorFlow.js format with a model card')
    .requiredOption('--dir <folder>', 'the hub folder')
    .requiredOption('--task <task>', 'task id or name')
    .requiredOption('--out <folder>', 'where to write model.json, the weights and model-card.json')
    .option('--version <n>', 'the version (default: the latest)', (v) => parseNonNegativeInt(v, '--version'))
    .option('--topology <file>', "the model's architecture (tfjs modelTopology JSON)")
    .action((flags: { dir: string; task: string; out: string; version?: number; topology?: string }) =>
      withHub(flags.dir, async (ctx) => {
        const exported = await exportModel(ctx, {
          task: flags.task,
          outDir: resolve(flags.out),
          ...(flags.version !== undefined ? { version: flags.version } : {}),
          ...(flags.topology ? { modelTopology: readJson(flags.topology) } : {}),
        });
        process.stdout.write(
          `Wrote model v${exported.version} to ${exported.outDir}: ${exported.files.join(', ')}\n`,
        );
        for (const note of exported.missing) process.stderr.write(`Note: ${note}\n`);
      }),
    );
}

async function withHub<T>(dir: string, run: (ctx: HubContext) => Promise<T>): Promise<T> {
  const ctx = await openHubContextFor(resolve(dir));
  try {
    return await run(ctx);
  } finally {
    await ctx.store.close();
  }
}

async function describeTaskLine(ctx: HubContext, row: TaskRow): Promise<string> {
  const definition = definitionOf(row);
  const published = await ctx.store.tasks.publishedRoundCount(row.id);
  const current = await ctx.store.tasks.latestRound(row.id);
  const joined = (await ctx.store.sites.joinedSites(row.id)).length;
  return (
    `${row.id}  "${row.name}"  ${row.state}  ${definition.strategy.name}  ${published}/${definition.rounds} rounds published` +
    `${current ? `, round ${current.number} ${current.state}` : ''}, ${joined} site${joined === 1 ? '' : 's'} joined` +
    `${row.failure_reason ? ` (${row.failure_reason})` : ''}`
  );
}

export function parseDuration(value: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*(s|m|h|d)$/.exec(value.trim());
  if (!match)
    throw new InvalidArgumentError(
      `a duration is a number and a unit (s, m, h, d), like 24h or 7d, not "${value}".`,
    );
  const unit = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] as 's' | 'm' | 'h' | 'd'];
  const ms = Number(match[1]) * unit;
  if (ms <= 0) throw new InvalidArgumentError('the duration must be more than zero.');
  return ms;
}

/** --proxy-from: the load balancers' IP addresses, checked here so a typo stops the hub before it serves. */
function parseProxyFrom(value: string): string[] {
  const addresses = value
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');
  try {
    return checkProxyAddresses(addresses);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}

/** The task file with the command line's update bounds laid over it. */
function withUpdateBounds(
  definition: unknown,
  flags: { maxUpdateNorm?: number; refuseLargeUpdates?: boolean },
): unknown {
  if (typeof definition !== 'object' || definition === null) return definition;
  return {
    ...definition,
    ...(flags.maxUpdateNorm !== undefined ? { maxUpdateNorm: flags.maxUpdateNorm } : {}),
    ...(flags.refuseLargeUpdates ? { updateNormPolicy: 'refuse' } : {}),
  };
}

function parsePositiveNumber(value: string): number {
  const number = Number(value);
  if (!Number.isFinite(number) || number <= 0)
    throw new InvalidArgumentError(`--max-update-norm takes a positive number (an L2 norm), not "${value}".`);
  return number;
}

function readJson(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(resolve(file), 'utf8');
  } catch (error) {
    // The system's own message is not shown (it may quote more than the path); its code says enough.
    throw new CliError(`Cannot read ${file} (${errorCode(error)}): check the path, and that it is a file.`);
  }
  try {
    return parseJsonText(text, { what: file, todo: "Check that it is the task's JSON file." });
  } catch (error) {
    // JSON.parse quotes the text it could not read: a file of other bytes was printed to the terminal.
    // This says the line and column instead (shared/json-text.ts).
    if (error instanceof JsonTextError) throw new CliError(error.message);
    throw error;
  }
}

/** A token carries the address sites dial: one they cannot dial made a token that failed only at the site. */
function checkHubUrl(url: string): void {
  let parsed: URL | null;
  try {
    parsed = new URL(url);
  } catch {
    parsed = null;
  }
  if (parsed?.protocol !== 'https:' || parsed.hostname === '') {
    throw new CliError(
      '--url must be the https address sites dial, like https://hub.example.org:8443; no token was made.',
    );
  }
}

function print(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

function fmt(value: number | null): string {
  return value === null ? '–' : value.toFixed(3);
}
