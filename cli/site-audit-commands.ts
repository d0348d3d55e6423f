// `radfed site audit verify`: the audit-chain check the Audit page runs, from the command line, for a
// privacy officer or a monitoring job on a server with no browser. It recomputes every entry's hash
// (AuditLog.verify), prints one sentence, and exits 1 when the chain is broken, so a script can alert.
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { AuditLog, openSiteDatabase, readSiteConfig, sitePaths } from '../main/site/index.ts';
import { errorCode } from '../shared/log-safety.ts';
import { CliError } from './failure.ts';

/** What `--json` prints: the UI's verification result, with the count and chain head for the record. */
export interface AuditVerifyReport {
  ok: boolean;
  /** Entries in the log. */
  entries: number;
  /** Entries found intact before the first break (all of them when ok). */
  intact: number;
  brokenAt: number | null;
  reason: string | null;
  /** The newest entry's hash: compare it with a copy kept elsewhere to notice entries cut from the end. */
  lastHash: string | null;
}

export function registerSiteAuditCommands(site: Command): void {
  const audit = site
    .command('audit')
    .summary("the site's hash-chained audit log")
    .description(
      'The audit log records every import, consent change, purge, export and federated round, each entry\n' +
        'chained to the one before it by a SHA-256 hash, so that a changed, removed or reordered entry shows.',
    );
  audit
    .command('verify')
    .summary('check that no audit entry was changed, removed or reordered')
    .description(
      'Recomputes the hash of every entry of the audit log, oldest first, as the Audit page does. Prints\n' +
        'how many entries were checked and whether the chain is intact; exits 1 when it is broken.',
    )
    .requiredOption('--dir <folder>', 'the site folder')
    .option('--json', 'print the result as JSON')
    .action((flags: { dir: string; json?: boolean }) => {
      const report = verifySiteAudit(flags.dir);
      if (flags.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      // A broken chain is a failure like any other: its sentence on stderr, exit status 1.
      if (!report.ok) {
        throw new CliError(
          flags.json
            ? `the audit chain is broken at entry ${report.brokenAt}.`
            : describeVerification(report),
        );
      }
      if (!flags.json) process.stdout.write(`${describeVerification(report)}\n`);
    });
}

export function verifySiteAudit(directory: string): AuditVerifyReport {
  const paths = sitePaths(directory);
  readSiteConfig(paths); // a folder that is not a site says so, with what to do
  if (!existsSync(paths.database)) {
    throw new CliError(
      `${paths.directory} has no site.db, so it has no audit log to check. Restore site.db from backup.`,
    );
  }
  const db = openSiteDatabase(paths.database);
  try {
    const entries = db.prepare<[], number>('SELECT COUNT(*) FROM audit_log').pluck().get() ?? 0;
    const last = db.prepare<[], string>('SELECT hash FROM audit_log ORDER BY seq DESC LIMIT 1').pluck().get();
    const result = readableVerification(() => new AuditLog(db).verify());
    return result.ok
      ? { ok: true, entries, intact: result.entries, brokenAt: null, reason: null, lastHash: last ?? null }
      : {
          ok: false,
          entries,
          intact: result.brokenAt - 1,
          brokenAt: result.brokenAt,
          reason: result.reason,
          lastHash: last ?? null,
        };
  } finally {
    db.close();
  }
}

/** A file edited so that SQLite cannot read a row back is a broken chain too, not a crash. */
function readableVerification(verify: () => ReturnType<AuditLog['verify']>): ReturnType<AuditLog['verify']> {
  try {
    return verify();
  } catch (error) {
    return {
      ok: false,
      brokenAt: 1,
      // Its code only: SQLite's own message may quote a row of the log, and audit details name studies.
      reason: `the audit log could not be read (${errorCode(error)})`,
    };
  }
}

export function describeVerification(report: AuditVerifyReport): string {
  const checked = `${report.entries} audit ${report.entries === 1 ? 'entry' : 'entries'}`;
  if (report.ok) {
    return (
      `Checked ${checked}: the chain is intact (no entry changed, removed or reordered). ` +
      `Newest entry's hash: ${report.lastHash ?? 'none (the log is empty)'}.`
    );
  }
  return (
    `Checked ${checked}: the chain is BROKEN at entry ${report.brokenAt ?? '?'}: ${report.reason ?? 'unknown'}. ` +
    `The ${report.intact} ${report.intact === 1 ? 'entry' : 'entries'} before it are intact. Keep a copy of ` +
    `site.db as evidence, tell the site's privacy officer, and compare the log with its last exported copy ` +
    `(Audit page, Export CSV).`
  );
}
