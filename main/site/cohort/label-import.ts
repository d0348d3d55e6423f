// Importing a task's labels from a CSV keyed by accession number or Study Instance UID. Each key is
// HMAC-hashed with the site secret, exactly as the de-identification engine hashed the original
// (deid's accessionHash / studyUidHash), and matched to de-identified studies by that hash: the raw
// key is never stored. Every row that is not applied is reported with its line, never dropped
// silently; the audit entry holds counts and line numbers only.
import { readFileSync } from 'node:fs';
import type { Database } from 'better-sqlite3';
import { safeCode } from '../../../shared/log-safety.ts';
import { AuditLog, commandActor } from '../audit/index.ts';
import { accessionHash, studyUidHash } from '../deid/index.ts';
import type { Site } from '../store/index.ts';
import { CohortError } from './cohort-error.ts';
import { decodeCsv, readLabelTable, type LabelKey, type LabelRow } from './label-csv.ts';
import { TaskStore } from './task-store.ts';

export type LabelSite = Pick<Site, 'database' | 'secret'>;

export interface LabelImportOptions {
  /** Task id; the default (or only) task when left out. */
  task?: string;
  /** Which column to match on when the header has both. */
  key?: LabelKey;
  /** Remove the task's labels that this file does not set (otherwise they are kept). */
  replace?: boolean;
  actor?: string;
  clock?: () => Date;
}

export interface LabelImportReport {
  taskId: string;
  key: LabelKey;
  /** Data records in the file (the header not counted). */
  rows: number;
  /** Studies now labelled from this file: added + changed + unchanged. */
  studiesLabelled: number;
  added: number;
  changed: number;
  unchanged: number;
  /** Labels of the task removed because the file did not set them (with `replace`). */
  removed: number;
  /**
   * Rows whose key matches no de-identified study, by line. Never the key itself: it is an accession
   * number or an original UID, and this report is printed and shown.
   */
  unmatched: { line: number }[];
  /**
   * Rows whose label is not in the task's label set (not applied), by line. Never the cell: a column
   * shifted in an export puts a name or an ID where the label should be.
   */
  badLabel: { line: number }[];
  /** The task's label set, so that a report can say which labels a row may give. */
  taskLabels: string[];
  /** Rows that are not a key and a label (not applied). */
  malformed: { line: number; reason: string }[];
  /** Rows giving one key two different labels: none of them is applied. */
  conflicting: number[];
  /** Rows repeating an earlier row exactly (harmless). */
  duplicates: number[];
}

// Bounds the size of one audit entry; the counts are always complete.
const AUDIT_LINES_MAX = 500;

export function importLabelsFile(
  site: LabelSite,
  file: string,
  options: LabelImportOptions = {},
): LabelImportReport {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    // The path is not repeated: hospital exports name their files after the patient or the study.
    throw new CohortError(
      'bad-file',
      `The labels file cannot be read (${safeCode(error) ?? 'error'}). Check the path and that this user may read it.`,
    );
  }
  return importLabels(site, decodeCsv(bytes, 'The labels file'), options);
}

/** Imports labels from CSV text, in one transaction, with one audit entry. */
export function importLabels(
  site: LabelSite,
  csv: string,
  options: LabelImportOptions = {},
): LabelImportReport {
  const clock = options.clock ?? (() => new Date());
  const db = site.database;
  const task = new TaskStore(db, clock).resolve(options.task);
  const table = readLabelTable(csv, options.key);
  const report: LabelImportReport = {
    taskId: task.id,
    key: table.key,
    rows: table.rows.length + table.malformed.length,
    studiesLabelled: 0,
    added: 0,
    changed: 0,
    unchanged: 0,
    removed: 0,
    unmatched: [],
    badLabel: [],
    taskLabels: [...task.labels],
    malformed: table.malformed,
    conflicting: [],
    duplicates: [],
  };
  // Labels compare ignoring case and are stored as the task spells them.
  const canonical = new Map(task.labels.map((l) => [l.toLowerCase(), l]));
  const byKey = new Map<string, LabelRow[]>();
  for (const row of table.rows) {
    const label = canonical.get(row.label.toLowerCase());
    if (label === undefined) {
      report.badLabel.push({ line: row.line });
      continue;
    }
    const rows = byKey.get(row.key) ?? [];
    rows.push({ ...row, label });
    byKey.set(row.key, rows);
  }

  const hash = table.key === 'accession' ? accessionHash : studyUidHash;
  const findStudies = db
    .prepare<[string], string>(
      `SELECT study_uid FROM studies WHERE ${table.key === 'accession' ? 'accession_hash' : 'study_uid_hash'} = ?`,
    )
    .pluck();
  // Matching and writing under one write lock: a study purged meanwhile is either matched and
  // labelled before the purge, or not matched at all.
  db.transaction(() => {
    const wanted = new Map<string, { label: string }>();
    for (const [key, rows] of byKey) {
      const first = rows[0]!;
      if (rows.some((r) => r.label !== first.label)) {
        report.conflicting.push(...rows.map((r) => r.line));
        continue;
      }
      report.duplicates.push(...rows.slice(1).map((r) => r.line));
      const studies = findStudies.all(hash(site.secret, key));
      if (studies.length === 0) report.unmatched.push({ line: first.line });
      for (const study of studies) wanted.set(study, { label: first.label });
    }
    report.conflicting.sort((a, b) => a - b);
    report.duplicates.sort((a, b) => a - b);
    applyLabels(db, task.id, table.key, wanted, options.replace === true, clock().toISOString(), report);
    new AuditLog(db, clock).append({
      type: 'labels.imported',
      actor: options.actor ?? commandActor(),
      detail: auditDetail(report, options.replace === true),
    });
  }).immediate();
  return report;
}

function applyLabels(
  db: Database,
  taskId: string,
  key: LabelKey,
  wanted: Map<string, { label: string }>,
  replace: boolean,
  now: string,
  report: LabelImportReport,
): void {
  const current = new Map(
    db
      .prepare<[string], { study_uid: string; label: string }>(
        'SELECT study_uid, label FROM labels WHERE task_id = ?',
      )
      .all(taskId)
      .map((r) => [r.study_uid, r.label]),
  );
  const upsert = db.prepare<[string, string, string, string, string]>(
    `INSERT INTO labels (task_id, study_uid, label, matched_by, updated_at) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (task_id, study_uid) DO UPDATE SET label = excluded.label, matched_by = excluded.matched_by,
       updated_at = excluded.updated_at`,
  );
  for (const [study, { label }] of wanted) {
    const before = current.get(study);
    if (before === label) {
      report.unchanged += 1;
      continue;
    }
    upsert.run(taskId, study, label, key, now);
    if (before === undefined) report.added += 1;
    else report.changed += 1;
  }
  report.studiesLabelled = wanted.size;
  if (replace) {
    const remove = db.prepare<[string, string]>('DELETE FROM labels WHERE task_id = ? AND study_uid = ?');
    for (const study of current.keys()) {
      if (!wanted.has(study)) report.removed += remove.run(taskId, study).changes;
    }
  }
}

function auditDetail(report: LabelImportReport, replace: boolean) {
  const lines = (values: number[]) => values.slice(0, AUDIT_LINES_MAX);
  return {
    taskId: report.taskId,
    key: report.key,
    replace,
    rows: report.rows,
    studiesLabelled: report.studiesLabelled,
    added: report.added,
    changed: report.changed,
    unchanged: report.unchanged,
    removed: report.removed,
    // Line numbers and counts only: the keys themselves are accession numbers or original UIDs.
    unmatched: report.unmatched.length,
    unmatchedLines: lines(report.unmatched.map((u) => u.line)),
    badLabel: report.badLabel.length,
    badLabelLines: lines(report.badLabel.map((b) => b.line)),
    malformed: report.malformed.length,
    malformedLines: lines(report.malformed.map((m) => m.line)),
    conflicting: report.conflicting.length,
    conflictingLines: lines(report.conflicting),
    duplicates: report.duplicates.length,
  };
}
