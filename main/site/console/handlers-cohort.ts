// IPC handlers of the Training data page, over the cohort room (main/site/cohort): the same task checks
// as `radfed site task add`, the same label import as `radfed site labels import` and the same cohort as
// `radfed site cohort`. A labels file's keys are never sent back: problems are told by line number.
import type {
  CohortView,
  LabelImportView,
  LabelLineProblem,
  SiteTaskInput,
  SiteTaskView,
} from '../../../shared/ipc/index.ts';
import {
  buildCohort,
  decodeCsv,
  importLabels,
  TaskDefinitionSchema,
  TaskStore,
  type Cohort,
  type LabelImportReport,
  type StoredTask,
} from '../cohort/index.ts';
import type { IngestSite } from '../ingest/index.ts';
import type { IpcHandlers } from './ipc-handlers.ts';
import { taskFieldErrors } from './task-field-errors.ts';
import { commandActor } from '../audit/index.ts';

/** What the Training data handlers need of the site agent; `SiteAgent` has it. */
export interface CohortAgentPort {
  readonly site: IngestSite;
  /** The person the audit log names (the session's operator); default: the OS user. */
  readonly actor?: string;
}

export type CohortHandlers = Pick<
  IpcHandlers,
  'cohort:tasks' | 'cohort:save-task' | 'cohort:import-labels' | 'cohort:summary'
>;

export function createCohortHandlers(agent: CohortAgentPort, actorName?: string): CohortHandlers {
  // Read when used: the agent behind a session's port exists only once the site is set up.
  const actorNow = () => actorName ?? agent.actor ?? commandActor();
  const tasks = () => new TaskStore(agent.site.database).list().map(taskView);
  return {
    'cohort:tasks': tasks,
    'cohort:save-task': ({ task, replace, makeDefault }) => {
      // The same rules as `radfed site task add`; what breaks them is told field by field, in words.
      const parsed = TaskDefinitionSchema.safeParse(withoutEmptyFilters(task));
      if (!parsed.success)
        return { saved: false, fieldErrors: taskFieldErrors(parsed.error.issues, task.id) };
      const result = new TaskStore(agent.site.database).add(parsed.data, {
        replace,
        makeDefault,
        actor: actorNow(),
      });
      return { saved: true, ...result, tasks: tasks() };
    },
    'cohort:import-labels': ({ taskId, csvBase64, key, replace }) => {
      const csv = decodeCsv(Buffer.from(csvBase64, 'base64'), 'The labels file');
      const report = importLabels(agent.site, csv, {
        ...(taskId !== undefined && { task: taskId }),
        ...(key !== undefined && { key }),
        replace,
        actor: actorNow(),
      });
      return importView(report);
    },
    'cohort:summary': ({ taskId }) => cohortView(buildCohort(agent.site, taskId)),
  };
}

function taskView(stored: StoredTask): SiteTaskView {
  const { definition: t } = stored;
  return {
    id: t.id,
    name: t.name,
    labels: [...t.labels],
    filters: structuredClone(t.filters),
    ...(t.consentScope !== undefined && { consentScope: t.consentScope }),
    validationFraction: t.validationFraction,
    seed: t.seed,
    isDefault: stored.isDefault,
    labelledStudies: stored.labelledStudies,
    updatedAt: stored.updatedAt,
  };
}

/** A form leaves fields empty where the CLI's JSON leaves them out: empty means "no such filter". */
function withoutEmptyFilters(task: SiteTaskInput): unknown {
  const f = task.filters;
  const list = (values: string[] | undefined) => {
    const kept = (values ?? []).map((v) => v.trim()).filter((v) => v !== '');
    return kept.length > 0 ? kept : undefined;
  };
  const from = f.studyDate?.from?.trim() || undefined;
  const to = f.studyDate?.to?.trim() || undefined;
  const filters = {
    ...(list(f.modalities) && { modalities: list(f.modalities) }),
    ...(list(f.bodyParts) && { bodyParts: list(f.bodyParts) }),
    ...(f.seriesDescription?.trim() && { seriesDescription: f.seriesDescription.trim() }),
    ...((from || to) && { studyDate: { ...(from && { from }), ...(to && { to }) } }),
  };
  return {
    ...task,
    labels: task.labels.map((l) => l.trim()).filter((l) => l !== ''),
    filters,
    ...(task.consentScope?.trim() ? { consentScope: task.consentScope.trim() } : { consentScope: undefined }),
  };
}

function importView(r: LabelImportReport): LabelImportView {
  const problems: LabelLineProblem[] = [
    ...r.unmatched.map(({ line }) => ({
      line,
      message:
        'matches no de-identified study here (often a study not imported yet: import it, then this file again).',
    })),
    // The cell is not quoted: a column shifted in an export puts a patient's name where the label was.
    ...r.badLabel.map(({ line }) => ({
      line,
      message: `its label is not one of this task's labels (${r.taskLabels.join(', ')}); not applied.`,
    })),
    ...r.malformed.map(({ line, reason }) => ({ line, message: `${reason}; not applied.` })),
    ...r.conflicting.map((line) => ({
      line,
      message: 'gives a study a different label than another line; none of those lines was applied.',
    })),
  ].sort((a, b) => a.line - b.line);
  return {
    taskId: r.taskId,
    key: r.key,
    rows: r.rows,
    studiesLabelled: r.studiesLabelled,
    added: r.added,
    changed: r.changed,
    unchanged: r.unchanged,
    removed: r.removed,
    problems,
    duplicateLines: r.duplicates.length,
  };
}

const count = (n: { patients: number; studies: number; instances: number }) => ({
  patients: n.patients,
  studies: n.studies,
  instances: n.instances,
});

const distinctPatients = (items: readonly { patient: string }[]) => new Set(items.map((i) => i.patient)).size;

function cohortView(c: Cohort): CohortView {
  const x = c.excluded;
  const removed = x.filteredOut.seriesRemovedBy;
  const notIngested = x.noConsent.notIngested;
  return {
    task: {
      id: c.task.id,
      name: c.task.name,
      validationFraction: c.task.validationFraction,
      seed: c.task.seed,
    },
    patients: {
      train: distinctPatients(c.train),
      validation: distinctPatients(c.validation),
      total: distinctPatients([...c.train, ...c.validation]),
    },
    train: c.counts.train.map((l) => ({ label: l.label, index: l.index, ...count(l) })),
    validation: c.counts.validation.map((l) => ({ label: l.label, index: l.index, ...count(l) })),
    images: { train: c.train.length, validation: c.validation.length },
    excluded: [
      {
        reason: 'no-consent',
        ...count(x.noConsent),
        explanation:
          'Patients who are not in by consent' +
          (c.task.consentScope ? ` for "${c.task.consentScope}"` : '') +
          `. Besides these, ${notIngested.files} files of ${notIngested.patients} patients were kept out at import.`,
      },
      {
        reason: 'filtered-out',
        ...count(x.filteredOut),
        explanation:
          `Outside the task's filters: ${x.filteredOut.studiesOutsideDateWindow} studies outside the date window; ` +
          `series removed by modality ${removed.modality}, body part ${removed.bodyPart}, ` +
          `description ${removed.seriesDescription}.`,
      },
      {
        reason: 'no-label',
        ...count(x.noLabel),
        explanation:
          'In by consent and through the filters, but without a label for this task: import labels.',
      },
    ],
    held: { files: x.held.files, studies: x.held.studies },
  };
}
