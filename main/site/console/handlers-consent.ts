// IPC handlers of the Consent page, over the site's consent register (main/site/consent). Patients are
// shown by pseudonym only; a Patient ID typed for a withdrawal is hashed here and never sent back.
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type {
  ConsentHistoryView,
  ConsentImportResult,
  RoundUseView,
  WithdrawPreview,
} from '../../../shared/ipc/index.ts';
import { ConsentError, patientCacheDir, type PurgeResult, type SiteConsent } from '../consent/index.ts';
import type { IngestSite } from '../ingest/index.ts';
import type { IpcHandlers } from './ipc-handlers.ts';
import { AuditLog } from '../audit/index.ts';

/** What the Consent handlers need of the site agent; `SiteAgent` has it. */
export interface ConsentAgentPort {
  readonly site: IngestSite;
  readonly consent: SiteConsent;
}

export type ConsentHandlers = Pick<
  IpcHandlers,
  'consent:list' | 'consent:history' | 'consent:import' | 'consent:withdraw-preview' | 'consent:withdraw'
>;

export function createConsentHandlers(agent: ConsentAgentPort): ConsentHandlers {
  const { consent } = agent;
  return {
    'consent:list': () => ({
      policy: consent.policy,
      patients: consent.list().map(({ pseudonym, decision, lastDate, entries }) => ({
        pseudonym,
        decision,
        lastDate,
        entries,
      })),
    }),
    'consent:history': ({ pseudonym }) => historyOf(agent.site, consent, pseudonym),
    'consent:import': ({ csvBase64 }) => importCsv(consent, Buffer.from(csvBase64, 'base64')),
    'consent:withdraw-preview': ({ patientId }) => previewWithdrawal(agent, patientId),
    'consent:withdraw': async ({ patientId }) => {
      const report = await consent.withdraw({ patientId });
      return {
        pseudonym: report.pseudonym,
        inForce: report.inForce,
        purged: report.purged === null ? null : purgedView(report.purged),
        rounds: roundUses(agent.site, report.rounds),
        message: report.message,
      };
    },
  };
}

function historyOf(site: IngestSite, consent: SiteConsent, pseudonym: string): ConsentHistoryView {
  const view = consent.show({ pseudonym });
  return {
    pseudonym: view.pseudonym,
    decision: view.decision,
    history: view.history.map(({ status, date, scope, source, recordedAt }) => ({
      status,
      date,
      scope,
      source,
      recordedAt,
    })),
    held: view.held,
    rounds: roundUses(site, view.rounds),
  };
}

/**
 * The register imports from a path; the page sends the file's bytes. They are written to a private
 * temporary folder for the import and deleted right after, whatever happens.
 */
async function importCsv(consent: SiteConsent, bytes: Buffer): Promise<ConsentImportResult> {
  const folder = await mkdtemp(join(tmpdir(), 'radfed-consent-'));
  try {
    const path = join(folder, 'consent.csv');
    await writeFile(path, bytes, { mode: 0o600 });
    const report = await consent.importCsv(path);
    return {
      imported: true,
      rows: report.rows,
      added: report.added,
      alreadyRecorded: report.alreadyRecorded,
      byStatus: { ...report.byStatus },
      purgedPatients: report.purged.length,
    };
  } catch (error) {
    if (!(error instanceof ConsentError)) throw error;
    // Its message lists the problems too; the page shows them as a list, so only the first line here.
    return {
      imported: false,
      message: error.message.split('\n')[0] ?? error.message,
      problems: error.problems.map(({ row, message }) => ({ line: row, message })),
    };
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}

function previewWithdrawal(agent: ConsentAgentPort, patientId: string): WithdrawPreview {
  const { consent, site } = agent;
  const pseudonym = consent.register.pseudonymOf(patientId);
  const view = consent.show({ pseudonym });
  const heldFiles =
    site.database
      .prepare<[string], number>('SELECT COUNT(*) FROM held WHERE patient_pseudonym = ?')
      .pluck()
      .get(pseudonym) ?? 0;
  const tensorCache = existsSync(patientCacheDir(site.directory, pseudonym));
  return {
    pseudonym,
    known: view.history.length > 0 || view.held.studies > 0 || heldFiles > 0 || tensorCache,
    studies: view.held.studies,
    instances: view.held.instances,
    heldFiles,
    tensorCache,
    rounds: roundUses(site, view.rounds),
  };
}

function purgedView(purged: PurgeResult) {
  return {
    studies: purged.studies,
    instances: purged.instances,
    heldFiles: purged.heldFiles,
    tensorCache: purged.cacheRemoved,
  };
}

/**
 * Rounds that used a patient's data, with each task's name as this site approved it: round numbers
 * restart with each task, so a round is only known by its task. The names come from the approval
 * entries of the audit log, which outlive a withdrawn approval.
 */
function roundUses(
  site: IngestSite,
  rounds: readonly { taskId: string; roundId: string; completedAt: string }[],
): RoundUseView[] {
  if (rounds.length === 0) return [];
  const names = new Map<string, string>();
  for (const entry of new AuditLog(site.database).list({ type: 'federation.task-approved' })) {
    const { taskId, taskName } = entry.detail;
    if (typeof taskId === 'string' && typeof taskName === 'string') names.set(taskId, taskName);
  }
  return rounds.map(({ taskId, roundId, completedAt }) => ({
    taskId,
    taskName: names.get(taskId) ?? null,
    roundId,
    completedAt,
  }));
}
