// What every entry point that ingests runs first (a folder ingest, the agent, `site run`, `receive`,
// `watch`, the UI session): runs whose process is gone are marked 'interrupted' and audited, and
// identified copies such a process left in quarantine are removed. Only what a dead process left is
// touched, so it is safe while another process ingests into the same site. Synchronous, and quick
// when all is well: it reads the running runs and lists the quarantine's top level.
import type { Logger } from 'pino';
import { AuditLog, commandActor } from '../audit/index.ts';
import type { IngestSite } from './ingest-path.ts';
import { heldQuarantineNames, markInterruptedRuns, type InterruptedRun } from './ingest-runs.ts';
import { cleanQuarantine } from './quarantine.ts';

export interface IngestRecovery {
  interruptedRuns: InterruptedRun[];
  /** Identified copies with no held entry, deleted. */
  removedFromQuarantine: number;
  /** Held copies a crash left under their in-flight name, renamed to the name their entry gives. */
  restoredInQuarantine: number;
}

export interface RecoveryOptions {
  clock?: () => Date;
  logger?: Logger;
  actor?: string;
}

export function recoverInterruptedIngest(
  site: Pick<IngestSite, 'paths' | 'database'>,
  options: RecoveryOptions = {},
): IngestRecovery {
  const clock = options.clock ?? (() => new Date());
  const db = site.database;
  const audit = new AuditLog(db, clock);
  const actor = options.actor ?? commandActor();
  const interruptedRuns = markInterruptedRuns(db, audit, clock, actor);
  const cleanup = cleanQuarantine(site.paths.quarantine, () => heldQuarantineNames(db));
  if (cleanup.removed > 0 || cleanup.restored > 0) {
    // Identified copies deleted without a record of their own: the privacy officer sees that they went.
    audit.append({
      type: 'quarantine.cleaned',
      actor,
      detail: { removedUnrecordedCopies: cleanup.removed, restoredHeldCopies: cleanup.restored },
    });
  }
  const recovery = {
    interruptedRuns,
    removedFromQuarantine: cleanup.removed,
    restoredInQuarantine: cleanup.restored,
  };
  if (interruptedRuns.length > 0 || cleanup.removed > 0 || cleanup.restored > 0) {
    options.logger?.warn(
      {
        component: 'ingest',
        interruptedRuns: interruptedRuns.map((run) => run.runId),
        removedFromQuarantine: cleanup.removed,
        restoredInQuarantine: cleanup.restored,
      },
      'recovered from an interrupted ingest',
    );
  }
  return recovery;
}
