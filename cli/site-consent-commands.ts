// `radfed site consent …`: the consent register from the command line. Patients are shown by
// pseudonym only: the site keeps no raw patient ID, so it has none to show.
import { resolve } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import {
  isConsentStatus,
  type ConsentStatus,
  type PatientConsentView,
  type PurgeResult,
  type WithdrawReport,
} from '../main/site/consent/index.ts';
import { SiteAgent } from '../main/site/index.ts';
import { CliError } from './failure.ts';
import { siteLogger } from './site-log.ts';

interface DirFlags {
  dir: string;
}

function parseStatus(value: string): ConsentStatus {
  const status = value.trim().toLowerCase();
  if (!isConsentStatus(status)) {
    throw new InvalidArgumentError(`--status takes granted, refused or withdrawn.`);
  }
  return status;
}

async function withAgent<T>(dir: string, work: (agent: SiteAgent) => Promise<T> | T): Promise<T> {
  // The structured log (a purge, a start-up clean-up) goes to the site's log file, not the terminal.
  const agent = SiteAgent.open(resolve(dir), { logger: siteLogger(resolve(dir)) });
  try {
    if (agent.consent.policy === 'not-set') {
      process.stderr.write(
        'Note: this site was made before a consent policy was chosen; it is read as opt-out (all patients\n' +
          'are used unless they refused or withdrew).\n',
      );
    }
    return await work(agent);
  } finally {
    agent.close();
  }
}

const out = (text: string): void => {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
};
const json = (value: unknown): void => out(JSON.stringify(value, null, 2));

export function registerConsentCommands(site: Command): void {
  const consent = site
    .command('consent')
    .summary('the consent register: import, set, withdraw, list, show')
    .description(
      'Who may be used for research. Patients are kept by pseudonym (a keyed hash of the Patient ID);\n' +
        'raw patient IDs are hashed as they are read and never stored. Every change is in the audit log.',
    );

  consent
    .command('import')
    .summary("import the hospital's consent export")
    .description(
      'Import a CSV with the header patient_id,status,date[,scope] (status: granted, refused or withdrawn;\n' +
        'date: YYYY-MM-DD; scope: the research the decision is for, empty for all). UTF-8 (with or without\n' +
        'BOM) or Latin-1. Any problem in any row and nothing is imported. Importing the same export again\n' +
        'adds nothing. A patient who is now out has their data purged.',
    )
    .requiredOption('--dir <folder>', 'the site folder')
    .requiredOption('--file <csv>', 'the consent export')
    .action((flags: DirFlags & { file: string }) =>
      withAgent(flags.dir, async (agent) => {
        const report = await agent.consent.importCsv(resolve(flags.file));
        out(
          `Imported ${report.rows} rows${report.encoding === 'latin1' ? ' (read as Latin-1)' : ''}: ` +
            `${report.added} new entries (${report.byStatus.granted} granted, ${report.byStatus.refused} refused, ` +
            `${report.byStatus.withdrawn} withdrawn), ${report.alreadyRecorded} already recorded.`,
        );
        for (const purge of report.purged) out(describePurge(purge));
      }),
    );

  consent
    .command('set')
    .summary("record one patient's decision")
    .requiredOption('--dir <folder>', 'the site folder')
    .requiredOption('--patient <id>', 'the Patient ID as the hospital records it (hashed, never stored)')
    .requiredOption('--status <status>', 'granted, refused or withdrawn', parseStatus)
    .option('--date <YYYY-MM-DD>', 'the day of the decision (default: today)')
    .option('--scope <text>', 'the research it is for, e.g. "chest imaging research" (default: all)')
    .action((flags: DirFlags & { patient: string; status: ConsentStatus; date?: string; scope?: string }) =>
      withAgent(flags.dir, async (agent) => {
        const report = await agent.consent.set({
          patientId: flags.patient,
          status: flags.status,
          ...(flags.date === undefined ? {} : { date: flags.date }),
          ...(flags.scope === undefined ? {} : { scope: flags.scope }),
        });
        out(
          `Recorded ${report.entry.status} (${report.entry.date}${report.entry.scope ? `, ${report.entry.scope}` : ''}) ` +
            `for ${report.pseudonym}: now ${report.decision.in ? 'in' : `out (${report.decision.reason})`}.`,
        );
        if (report.purged) out(describePurge(report.purged));
      }),
    );

  consent
    .command('withdraw')
    .summary('withdraw consent and purge the data held')
    .description(
      "Record a withdrawal (for every use) and purge that patient's de-identified data and tensor cache.\n" +
        'Later ingests, cohorts and rounds exclude them. The audit log records which completed rounds had\n' +
        'used their data. A list: a CSV with the header patient_id[,date].',
    )
    .requiredOption('--dir <folder>', 'the site folder')
    .option('--patient <id>', 'the Patient ID as the hospital records it (hashed, never stored)')
    .option('--file <csv>', 'a CSV of withdrawals: patient_id[,date]')
    .option('--date <YYYY-MM-DD>', 'the day of the withdrawal, with --patient (default: today)')
    .action((flags: DirFlags & { patient?: string; file?: string; date?: string }) => {
      if ((flags.patient === undefined) === (flags.file === undefined)) {
        throw new CliError('Give either --patient ID or --file CSV (one of them).');
      }
      return withAgent(flags.dir, async (agent) => {
        const reports =
          flags.file !== undefined
            ? await agent.consent.withdrawCsv(resolve(flags.file))
            : [
                await agent.consent.withdraw({
                  patientId: flags.patient ?? '',
                  ...(flags.date === undefined ? {} : { date: flags.date }),
                }),
              ];
        for (const report of reports) out(describeWithdrawal(report));
      });
    });

  consent
    .command('list')
    .summary('patients in the register, by pseudonym, with their status')
    .requiredOption('--dir <folder>', 'the site folder')
    .option('--status <status>', 'only patients whose entry in force has this status', parseStatus)
    .option('--json', 'print JSON')
    .action((flags: DirFlags & { status?: ConsentStatus; json?: boolean }) =>
      withAgent(flags.dir, (agent) => {
        const patients = agent.consent
          .list()
          .filter((p) => flags.status === undefined || p.decision.status === flags.status);
        if (flags.json) return json({ policy: agent.consent.policy, patients });
        out(`Consent policy: ${agent.consent.policy}. ${patients.length} patients in the register.`);
        for (const p of patients) {
          out(
            `${p.pseudonym}  ${(p.decision.status ?? 'no entry').padEnd(9)}  ${p.lastDate}  ` +
              `${p.decision.in ? 'in' : `out: ${p.decision.reason}`}`,
          );
        }
      }),
    );

  consent
    .command('show')
    .summary("one patient's consent history")
    .requiredOption('--dir <folder>', 'the site folder')
    .option('--patient <id>', 'the Patient ID (hashed here to find the patient)')
    .option('--pseudonym <RF…>', 'the pseudonym, as list shows it')
    .option('--json', 'print JSON')
    .action((flags: DirFlags & { patient?: string; pseudonym?: string; json?: boolean }) => {
      if ((flags.patient === undefined) === (flags.pseudonym === undefined)) {
        throw new CliError('Give either --patient ID or --pseudonym RF… (one of them).');
      }
      return withAgent(flags.dir, (agent) => {
        const view = agent.consent.show(
          flags.patient !== undefined ? { patientId: flags.patient } : { pseudonym: flags.pseudonym ?? '' },
        );
        if (flags.json) return json(view);
        out(describeView(view));
      });
    });
}

function describeView(view: PatientConsentView): string {
  const lines = [
    `Patient ${view.pseudonym}: ${view.decision.in ? 'in' : `out (${view.decision.reason})`}`,
    `  Held here: ${view.held.studies} studies, ${view.held.instances} images`,
  ];
  if (view.history.length === 0) lines.push('  No consent entry.');
  for (const e of view.history) {
    lines.push(
      `  ${e.date}  ${e.status.padEnd(9)}  ${e.scope || 'all uses'}  (${e.source}, recorded ${e.recordedAt})`,
    );
  }
  for (const x of view.exclusions) {
    lines.push(`  Excluded at ingest: ${x.files} files of a study, ${x.reason} (last ${x.lastExcludedAt})`);
  }
  for (const r of view.rounds)
    lines.push(`  Used by round ${r.roundId} of task ${r.taskId} (completed ${r.completedAt})`);
  return lines.join('\n');
}

function describeWithdrawal(report: WithdrawReport): string {
  return `${report.pseudonym}: ${report.message}`;
}

function describePurge(purge: PurgeResult): string {
  return (
    `Purged ${purge.pseudonym}: ${purge.studies} studies, ${purge.instances} images` +
    `${purge.heldFiles > 0 ? `, ${purge.heldFiles} held files` : ''}${purge.cacheRemoved ? ', tensor cache' : ''}.`
  );
}
