// `radfed site task …`, `radfed site labels import` and `radfed site cohort`: define what a site trains
// on, attach labels to de-identified studies, and see the cohort before training.
import { resolve } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import {
  buildCohort,
  importLabelsFile,
  readTaskFile,
  TaskStore,
  type Cohort,
  type LabelImportReport,
  type LabelKey,
  type StoredTask,
} from '../main/site/cohort/index.ts';
import { openSite, type Site } from '../main/site/store/index.ts';

// Lines listed per kind of problem; the counts are always complete.
const LINES_SHOWN = 20;

function withSite<T>(dir: string, use: (site: Site) => T): T {
  const site = openSite(resolve(dir));
  try {
    return use(site);
  } finally {
    site.database.close();
  }
}

function parseKey(value: string): LabelKey {
  if (value === 'accession' || value === 'study-uid') return value;
  throw new InvalidArgumentError(`--key takes accession or study-uid, not "${value}".`);
}

export function registerCohortCommands(site: Command): void {
  const task = site.command('task').summary('define what this site trains on (label set, filters, split)');

  task
    .command('add')
    .summary('add a task from a JSON file')
    .description(
      'Add a task: id, name, labels (their order is the class index), filters (modalities, bodyParts,\n' +
        'seriesDescription as a regular expression, studyDate {from, to}), consentScope,\n' +
        'validationFraction and seed. Filters see de-identified values (see main/site/cohort/README.md).',
    )
    .requiredOption('--dir <folder>', 'the site folder')
    .requiredOption('--file <task.json>', 'the task definition')
    .option('--default', 'make it the task used when --task is not given')
    .option('--replace', 'replace a task with the same id')
    .action((flags: { dir: string; file: string; default?: boolean; replace?: boolean }) => {
      const definition = readTaskFile(resolve(flags.file));
      withSite(flags.dir, (s) => {
        const result = new TaskStore(s.database).add(definition, {
          replace: flags.replace === true,
          makeDefault: flags.default === true,
        });
        const dropped =
          result.labelsDropped > 0
            ? ` ${result.labelsDropped} labels no longer in its label set were removed.`
            : '';
        process.stdout.write(
          `${result.created ? 'Added' : 'Replaced'} task "${definition.id}" (${definition.name}): ` +
            `labels ${definition.labels.join(', ')}.${dropped}\n`,
        );
      });
    });

  task
    .command('list')
    .summary("list this site's tasks")
    .requiredOption('--dir <folder>', 'the site folder')
    .option('--json', 'print JSON instead of sentences')
    .action((flags: { dir: string; json?: boolean }) => {
      const tasks = withSite(flags.dir, (s) => new TaskStore(s.database).list());
      process.stdout.write(flags.json ? `${JSON.stringify(tasks, null, 2)}\n` : describeTasks(tasks));
    });

  site
    .command('labels')
    .summary("import a task's labels")
    .command('import')
    .summary('import labels from a CSV keyed by accession number or Study Instance UID')
    .description(
      'The CSV header is accession_number,label or study_instance_uid,label. Keys are hashed with the site\n' +
        'key and matched to de-identified studies; they are never stored. Rows that match nothing, or whose\n' +
        "label is not in the task's label set, are listed. Importing again updates the labels.",
    )
    .requiredOption('--dir <folder>', 'the site folder')
    .requiredOption('--file <labels.csv>', 'the labels file')
    .option('--task <id>', 'the task (default: the default or only task)')
    .option('--key <key>', 'match on accession or study-uid (when the file has both columns)', parseKey)
    .option('--replace', "remove the task's labels this file does not set")
    .action((flags: { dir: string; file: string; task?: string; key?: LabelKey; replace?: boolean }) => {
      const report = withSite(flags.dir, (s) =>
        importLabelsFile(s, resolve(flags.file), {
          ...(flags.task !== undefined && { task: flags.task }),
          ...(flags.key !== undefined && { key: flags.key }),
          replace: flags.replace === true,
        }),
      );
      process.stdout.write(describeImport(report));
    });

  site
    .command('cohort')
    .summary("show a task's cohort: counts per label and split, and what was left out and why")
    .requiredOption('--dir <folder>', 'the site folder')
    .option('--task <id>', 'the task (default: the default or only task)')
    .option('--json', 'print JSON instead of sentences')
    .action((flags: { dir: string; task?: string; json?: boolean }) => {
      const cohort = withSite(flags.dir, (s) => buildCohort(s, flags.task));
      if (flags.json) {
        const { task: t, counts, excluded } = cohort;
        const items = { train: cohort.train.length, validation: cohort.validation.length };
        process.stdout.write(`${JSON.stringify({ task: t, counts, excluded, items }, null, 2)}\n`);
      } else {
        process.stdout.write(describeCohort(cohort));
      }
    });
}

const plural = (n: number, one: string, many: string): string => `${n} ${n === 1 ? one : many}`;
const lineList = (lines: number[]): string =>
  lines.slice(0, LINES_SHOWN).join(', ') + (lines.length > LINES_SHOWN ? `, … (${lines.length} in all)` : '');

export function describeTasks(tasks: StoredTask[]): string {
  if (tasks.length === 0)
    return 'No tasks yet. Add one with radfed site task add --dir D --file task.json.\n';
  return (
    tasks
      .map(({ definition: t, isDefault, labelledStudies }) =>
        [
          `${t.id}${isDefault ? ' (default)' : ''}: ${t.name}`,
          `  labels: ${t.labels.map((l, i) => `${i} ${l}`).join(', ')}; ${plural(labelledStudies, 'study', 'studies')} labelled`,
          `  filters: ${JSON.stringify(t.filters)}; consent scope: ${t.consentScope ?? "the site's"}`,
          `  validation: ${Math.round(t.validationFraction * 100)}% of patients, seed ${t.seed}`,
        ].join('\n'),
      )
      .join('\n') + '\n'
  );
}

/** For the operator's terminal: rows by line, never their cells. */
export function describeImport(r: LabelImportReport): string {
  const column = r.key === 'accession' ? 'accession_number' : 'study_instance_uid';
  const out = [
    `Labels for task "${r.taskId}", matched on ${column}: ${plural(r.rows, 'row', 'rows')}, ` +
      `${plural(r.studiesLabelled, 'study', 'studies')} labelled (${r.added} new, ${r.changed} changed, ${r.unchanged} unchanged)` +
      (r.removed > 0 ? `; ${r.removed} earlier labels removed (--replace).` : '.'),
  ];
  // Rows are named by line only: their cells are accession numbers or UIDs, and a shifted column puts
  // a patient's name where the label should be.
  if (r.unmatched.length > 0) {
    out.push(
      `  ${plural(r.unmatched.length, 'row matches', 'rows match')} no de-identified study: lines ${lineList(r.unmatched.map((u) => u.line))}`,
    );
    out.push('    (Often studies not ingested yet: ingest them, then import this file again.)');
  }
  if (r.badLabel.length > 0) {
    out.push(
      `  ${plural(r.badLabel.length, 'row has a label', 'rows have labels')} not in the task's label set (${r.taskLabels.join(', ')}), ` +
        `not applied: lines ${lineList(r.badLabel.map((b) => b.line))}`,
    );
  }
  if (r.malformed.length > 0) {
    out.push(`  ${plural(r.malformed.length, 'row is', 'rows are')} not a key and a label, not applied:`);
    for (const m of r.malformed.slice(0, LINES_SHOWN)) out.push(`    line ${m.line} ${m.reason}`);
  }
  if (r.conflicting.length > 0) {
    out.push(`  Rows giving one study two labels, none applied: lines ${lineList(r.conflicting)}`);
  }
  if (r.duplicates.length > 0) out.push(`  Repeated rows (ignored): lines ${lineList(r.duplicates)}`);
  return `${out.join('\n')}\n`;
}

export function describeCohort(c: Cohort): string {
  const count = (n: { patients: number; studies: number; instances: number }): string =>
    `${plural(n.patients, 'patient', 'patients')}, ${plural(n.studies, 'study', 'studies')}, ${plural(n.instances, 'image', 'images')}`;
  const { excluded: x } = c;
  const removed = x.filteredOut.seriesRemovedBy;
  const out = [
    `Cohort of task "${c.task.id}" (${c.task.name}): ${Math.round(c.task.validationFraction * 100)}% of patients ` +
      `for validation, seed ${c.task.seed}`,
  ];
  for (const side of ['train', 'validation'] as const) {
    out.push(`  ${side === 'train' ? 'Training' : 'Validation'}:`);
    for (const l of c.counts[side]) out.push(`    ${l.index} ${l.label}: ${count(l)}`);
  }
  out.push(
    '  Left out:',
    `    no consent: ${count(x.noConsent)}; kept out at ingest: ${plural(x.noConsent.notIngested.patients, 'patient', 'patients')}, ` +
      `${plural(x.noConsent.notIngested.studies, 'study', 'studies')}, ${plural(x.noConsent.notIngested.files, 'file', 'files')}`,
    `    filtered out: ${count(x.filteredOut)} (outside the date window: ${plural(x.filteredOut.studiesOutsideDateWindow, 'study', 'studies')}; ` +
      `series removed by modality ${removed.modality}, body part ${removed.bodyPart}, description ${removed.seriesDescription})`,
    `    no label: ${count(x.noLabel)}`,
    `    held by de-identification: ${plural(x.held.files, 'file', 'files')} (${plural(x.held.studies, 'study', 'studies')}), in quarantine for review`,
    '',
  );
  return out.join('\n');
}
