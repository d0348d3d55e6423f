// `radfed site …`: set up a site, bring studies in, and see where it stands.
import { basename, resolve } from 'node:path';
import type { Command } from 'commander';
import type { SiteStatus } from '../shared/ipc/index.ts';
import { parseDeidOptions } from '../main/site/deid/index.ts';
import { initSite, openSite, SiteAgent } from '../main/site/index.ts';
import { siteTaskBudgets } from '../main/site/federation/index.ts';
import { lastIngestRun, type LastIngestRun } from '../main/site/ingest/index.ts';
import { CliError } from './failure.ts';
import { describeLastRun, ingestWithReport } from './site-ingest-report.ts';
import { siteLogger } from './site-log.ts';
import { registerSiteAuditCommands } from './site-audit-commands.ts';
import { registerSiteHeldCommands } from './site-held-commands.ts';
import { registerCohortCommands } from './site-cohort-commands.ts';
import { registerConsentCommands } from './site-consent-commands.ts';
import { registerFederationCommands } from './site-federation-commands.ts';
import { registerRunCommands } from './site-run-commands.ts';
import { registerTrainCommand } from './site-train-command.ts';
import { registerSiteUiCommand } from './site-ui-command.ts';

const collect = (value: string, previous: string[]) => [...previous, value];

export function registerSiteCommands(program: Command): void {
  const site = program
    .command('site')
    .summary('run a clinical site: set up, ingest, status')
    .description(
      'Commands for a RadFed site: a folder with its database, key, research store and audit log.',
    );

  site
    .command('init')
    .summary('create a new site folder')
    .description(
      'Create a site: SQLite database, site key (mode 0600), research store, quarantine and audit log.\n' +
        'The de-identification options chosen here apply to every later ingest.\n' +
        'The consent policy must be chosen: opt-in uses only patients who granted consent; opt-out uses all\n' +
        'patients except those who refused or withdrew.',
    )
    .requiredOption('--dir <folder>', 'the site folder to create')
    .option('--name <name>', 'a name for the site, shown to the federation (default: the folder name)')
    .option('--option <name>', 'a PS3.15 de-identification option (repeatable)', collect, [])
    .option('--consent-policy <policy>', 'opt-in or opt-out (required)')
    .option('--consent-scope <text>', 'the research consent is for, e.g. "chest imaging research"')
    .action(
      (flags: {
        dir: string;
        name?: string;
        option: string[];
        consentPolicy?: string;
        consentScope?: string;
      }) => {
        const dir = resolve(flags.dir);
        const deidOptions = parseDeidOptions(flags.option);
        const consentPolicy = flags.consentPolicy?.trim().toLowerCase();
        if (consentPolicy !== 'opt-in' && consentPolicy !== 'opt-out') {
          throw new CliError(
            `${flags.consentPolicy === undefined ? 'Choose a consent policy' : 'The consent policy must be opt-in or opt-out'}: ` +
              '--consent-policy opt-in (only patients who granted consent are used) or --consent-policy opt-out ' +
              '(all patients are used except those who refused or withdrew). Nothing was created.',
          );
        }
        initSite(dir, {
          name: flags.name ?? basename(dir),
          deidOptions,
          consentPolicy,
          ...(flags.consentScope === undefined ? {} : { consentScope: flags.consentScope }),
        });
        process.stdout.write(
          `Created site "${flags.name ?? basename(dir)}" in ${dir} (consent policy: ${consentPolicy}` +
            `${flags.consentScope ? `, scope: ${flags.consentScope.trim()}` : ''})\n`,
        );
      },
    );

  site
    .command('ingest')
    .summary('de-identify studies into the research store')
    .description(
      'Read DICOM files (a file or a folder), de-identify them with the site options, verify and store them.\n' +
        'Identified copies stay only in the quarantine folder until released. Running it again on the same\n' +
        'files changes nothing. Your source files are never modified.',
    )
    .requiredOption('--dir <folder>', 'the site folder')
    .argument('<in>', 'a DICOM file or a folder')
    .action(async (input: string, flags: { dir: string }) => {
      const dir = resolve(flags.dir);
      const agent = SiteAgent.open(dir, { logger: siteLogger(dir) });
      try {
        await ingestWithReport(agent, resolve(input));
      } finally {
        agent.close();
      }
    });

  site
    .command('status')
    .summary('counts of patients, studies, images, held and rejected files')
    .requiredOption('--dir <folder>', 'the site folder')
    .option('--json', 'print JSON instead of sentences')
    .action((flags: { dir: string; json?: boolean }) => {
      const dir = resolve(flags.dir);
      const agent = SiteAgent.open(dir, { logger: siteLogger(dir) });
      try {
        const status = agent.status();
        const lastRun = lastIngestRun(agent.site.database);
        // Differential privacy: this site's own count of each approved task's budget.
        const site = openSite(resolve(flags.dir));
        let budgets;
        try {
          budgets = siteTaskBudgets(resolve(flags.dir), site.database);
        } finally {
          site.database.close();
        }
        process.stdout.write(
          flags.json
            ? `${JSON.stringify({ ...status, lastIngestRun: lastRun, privacyBudgets: budgets }, null, 2)}\n`
            : describeStatus(status, lastRun) +
                budgets
                  .map((b) => `  Privacy budget of task "${b.taskName}" (${b.taskId}): ${b.text}\n`)
                  .join(''),
        );
      } finally {
        agent.close();
      }
    });

  registerConsentCommands(site);
  registerCohortCommands(site);
  registerRunCommands(site);
  registerTrainCommand(site);
  registerFederationCommands(site);
  registerSiteUiCommand(site);
  registerSiteAuditCommands(site);
  registerSiteHeldCommands(site);
}

export function describeStatus(status: SiteStatus, lastRun: LastIngestRun | null = null): string {
  const { counts } = status;
  const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;
  return [
    `Site "${status.siteName}" (${status.directory})`,
    `  Research store: ${plural(counts.patients, 'patient', 'patients')}, ${plural(counts.studies, 'study', 'studies')}, ` +
      `${plural(counts.series, 'series', 'series')}, ${plural(counts.instances, 'image', 'images')}`,
    `  Held for review: ${plural(counts.held, 'file', 'files')}; could not be read: ${plural(counts.rejected, 'file', 'files')}`,
    `  De-identification options: ${status.deidOptions.length > 0 ? status.deidOptions.join(', ') : 'none (Basic Profile)'}`,
    `  Consent policy: ${status.consentPolicy}`,
    `  Last ingest: ${status.lastIngestAt ?? 'never'}`,
    ...describeLastRun(lastRun),
    '',
  ].join('\n');
}
