// `radfed site enroll | approve`, and the federation service `radfed site run` starts for an enrolled
// site: join the hub, approve tasks after reading them in plain words, and train for them round after
// round. What is printed: rounds, counts, bytes, seconds and the hub's sentences; never a patient value.
import { resolve } from 'node:path';
import { createInterface } from 'node:readline/promises';
import type { Writable } from 'node:stream';
import { type Command } from 'commander';
import { HubClient } from '../shared/node/federation/index.ts';
import {
  describeSyncEvent,
  enrollSiteWithHub,
  explainHubError,
  hubAgent,
  listApprovals,
  loadEnrollment,
  recordReviewedApproval,
  reviewTask,
  runFederation,
  type SyncEvent,
} from '../main/site/federation/index.ts';
import { commandActor, openSite } from '../main/site/index.ts';
import { readSiteConfig, sitePaths } from '../main/site/store/index.ts';
import { parsePositiveInt } from './arguments.ts';
import { CliError } from './failure.ts';

export function registerFederationCommands(site: Command): void {
  site
    .command('enroll')
    .summary('join a federation hub with a one-time token')
    .description(
      'Make this site\u2019s keys (private keys stay in <site>/keys, mode 0600), present the coordinator\u2019s\n' +
        'one-time token to the hub, and pin the hub\u2019s certificate and signing key (their fingerprints are in\n' +
        'the token, so no one in between can pose as the hub). Works through HTTPS_PROXY; NO_PROXY is honoured.',
    )
    .requiredOption('--dir <folder>', 'the site folder')
    .requiredOption('--token <token>', 'the enrollment token (rft1....) from the coordinator')
    .option(
      '--hub <url>',
      'the hub\u2019s address, e.g. https://hub.example.org:8443 (default: the one in the token)',
    )
    .option('--name <name>', 'the name the hub shows for this site (default: the site\u2019s name)')
    .action(async (flags: { dir: string; token: string; hub?: string; name?: string }) => {
      const dir = resolve(flags.dir);
      const result = await enrollSiteWithHub({
        siteDir: dir,
        token: flags.token,
        ...(flags.hub ? { hubUrl: flags.hub } : {}),
        ...(flags.name ? { siteName: flags.name } : {}),
      });
      const enrollment = loadEnrollment(dir);
      process.stdout.write(
        `Enrolled "${result.siteName}" with the hub "${result.hubName}" at ${result.hubUrl}` +
          `${result.viaProxy ? ` (through the proxy ${result.viaProxy})` : ''}; site id ${result.siteId}.\n` +
          `Pinned: the hub CA certificate ${enrollment.hub.caFingerprint.slice(0, 16)}\u2026 and signing key ` +
          `${enrollment.hub.signingKeyFingerprint.slice(0, 16)}\u2026\n` +
          `Next: when the coordinator has defined a task, review and approve it:\n  radfed site approve --dir ${dir}\n`,
      );
    });

  site
    .command('approve')
    .summary('review a federated task in plain words and approve it for this site')
    .description(
      'Without --task: list the hub\u2019s tasks this site may join, and which are approved. With --task: show\n' +
        'what the task trains, on which of this site\u2019s data, and exactly what leaves the site; then approve\n' +
        'it (asked on a terminal, or --yes). `radfed site run` trains only for approved tasks.',
    )
    .requiredOption('--dir <folder>', 'the site folder')
    .option('--task <id>', 'the hub\u2019s task id (or its name, when no other task has it)')
    .option(
      '--cohort <task>',
      'the site task whose cohort and labels to train on (default: the site\u2019s default task)',
    )
    .option('--yes', 'approve without asking (after reading the description)')
    .action(async (flags: { dir: string; task?: string; cohort?: string; yes?: boolean }) => {
      const dir = resolve(flags.dir);
      // A folder that is no site at all is said to be so, not "not enrolled" (which sent people to enroll it).
      readSiteConfig(sitePaths(dir));
      if (!flags.task) return listHubTasks(dir);
      const review = await reviewTask(dir, flags.task, flags.cohort ? { cohortTaskId: flags.cohort } : {});
      process.stdout.write(`${review.summary.join('\n')}\n`);
      if (review.problem) throw new CliError(`Not approved: ${review.problem}`);
      if (!flags.yes) {
        if (!process.stdin.isTTY) {
          throw new CliError(
            'Nothing was approved. Having read the above, run the same command with --yes to approve.',
          );
        }
        const prompt = createInterface({ input: process.stdin, output: process.stdout });
        const answer = await prompt.question('Approve this task for this site? [y/N] ');
        prompt.close();
        if (!/^y(es)?$/i.test(answer.trim())) {
          process.stdout.write('Not approved; nothing changed.\n');
          return;
        }
      }
      const { approval } = recordReviewedApproval(dir, review, { actor: commandActor() });
      process.stdout.write(
        `Approved task ${approval.taskId} for this site (training on the site task "${approval.cohortTaskId}").\n` +
          `\`radfed site run --dir ${dir}\` takes part in its rounds.\n`,
      );
    });
}

async function listHubTasks(dir: string): Promise<void> {
  const enrollment = loadEnrollment(dir);
  const agent = hubAgent(enrollment.hubUrl);
  const client = HubClient.fromEnrollment(enrollment, agent ? { agent } : {});
  let tasks;
  try {
    tasks = await client.listTasks();
  } catch (error) {
    throw explainHubError(error, enrollment.hubUrl);
  } finally {
    agent?.destroy();
  }
  const site = openSite(dir);
  const approved = new Map(listApprovals(site.database).map((a) => [a.taskId, a]));
  site.database.close();
  if (tasks.length === 0) {
    process.stdout.write(`The hub at ${enrollment.hubUrl} has no task for this site yet.\n`);
    return;
  }
  for (const task of tasks) {
    const approval = approved.get(task.id);
    process.stdout.write(
      `${task.id}  "${task.definition.name}"  ${task.state}, ${task.definition.rounds} rounds  ` +
        `${approval ? `approved ${approval.approvedAt.slice(0, 16).replace('T', ' ')}` : 'not approved'}\n`,
    );
  }
  process.stdout.write(`Review one with: radfed site approve --dir ${dir} --task <id>\n`);
}

export interface FederationServicePlan {
  /** Stop once every approved task has ended at the hub (the demo's site processes). */
  readonly untilDone?: boolean;
  /** Print events as JSON lines (for a parent process) instead of sentences. */
  readonly jsonEvents?: boolean;
  /** WebAssembly threads for training (default: all cores). */
  readonly threads?: number;
}

/** The federation part of `radfed site run`: runs until `signal`, or until done when asked. */
export async function runFederationService(
  dir: string,
  plan: FederationServicePlan,
  options: { signal: AbortSignal; out: Writable },
): Promise<void> {
  const say = (line: string) => options.out.write(`${line}\n`);
  const enrollment = loadEnrollment(dir);
  if (!plan.jsonEvents)
    say(`Federation: following approved tasks at ${enrollment.hubUrl} as "${enrollment.siteName}".`);
  const taskNames = new Map<string, string>();
  const onEvent = (event: SyncEvent) => {
    if (plan.jsonEvents) return say(JSON.stringify(event));
    if (event.type === 'task-started') taskNames.set(event.taskId, event.name);
    const line = describeSyncEvent(event, (taskId) => taskNames.get(taskId));
    if (line !== null) say(line);
  };
  await runFederation({
    siteDir: dir,
    signal: options.signal,
    onEvent,
    ...(plan.untilDone ? { untilDone: true } : {}),
    ...(plan.threads ? { threads: plan.threads } : {}),
  });
}

/** `site run` options of the federation (hidden: the demo's plumbing). */
export function addFederationRunOptions(command: Command): Command {
  return command
    .option('--until-done', 'stop once every approved federated task has ended')
    .option('--json-events', 'print federation events as JSON lines')
    .option('--threads <n>', 'training threads (default: all cores)', (v) =>
      parsePositiveInt(v, '--threads'),
    );
}
