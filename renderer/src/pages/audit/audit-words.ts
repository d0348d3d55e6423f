// Words and small conversions for the Audit page.
import type { AuditChainStatus, AuditPage } from '../../../../shared/ipc/index.ts';

/**
 * Local dates from the date inputs (YYYY-MM-DD, either may be '') as the ISO instants the agent
 * filters on: from the start of `from` to the end of `to`, in this computer's time zone.
 */
export function dayRange(from: string, to: string): { since?: string; until?: string } {
  const start = (day: string): Date | null => {
    const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
    return match ? new Date(Number(match[1]), Number(match[2]) - 1, Number(match[3])) : null;
  };
  const since = start(from);
  const untilDay = start(to);
  const until = untilDay
    ? new Date(untilDay.getFullYear(), untilDay.getMonth(), untilDay.getDate() + 1)
    : null;
  return {
    ...(since ? { since: since.toISOString() } : {}),
    ...(until ? { until: until.toISOString() } : {}),
  };
}

export function pageCount(page: Pick<AuditPage, 'total' | 'pageSize'>): number {
  return Math.max(1, Math.ceil(page.total / page.pageSize));
}

/** "Entries 51–100 of 240" / "No entries match". */
export function rangeText(page: Pick<AuditPage, 'total' | 'pageSize' | 'page'>): string {
  if (page.total === 0) return 'No entries match.';
  const first = (page.page - 1) * page.pageSize + 1;
  const last = Math.min(page.total, page.page * page.pageSize);
  return `Entries ${first.toLocaleString('en')}–${last.toLocaleString('en')} of ${page.total.toLocaleString('en')}`;
}

export function chainWords(status: AuditChainStatus): string {
  if (status.ok) {
    return `Intact: all ${status.entries.toLocaleString('en')} entries are linked and unchanged since they were written.`;
  }
  return `Broken at entry ${status.brokenAt}: ${status.reason}. The log may have been tampered with; tell your privacy officer.`;
}

/** The detail as short text for the table: `key: value` pairs, one level deep. */
export function detailText(detail: string): string {
  try {
    const value = JSON.parse(detail) as unknown;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return detail;
    return Object.entries(value)
      .map(([k, v]) => `${k}: ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
      .join('; ');
  } catch {
    return detail;
  }
}

/** The detail as label and value pairs for the disclosure, one level deep (nested values as JSON). */
export function detailPairs(detail: string): [string, string][] {
  try {
    const value = JSON.parse(detail) as unknown;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return [['detail', detail]];
    return Object.entries(value).map(([k, v]) => [k, typeof v === 'object' ? JSON.stringify(v) : String(v)]);
  } catch {
    return [['detail', detail]];
  }
}

const KIND_WORDS: Readonly<Record<string, string>> = {
  'federation.update-sent': 'Model update sent',
  'federation.initial-model-sent': 'Starting model sent',
  'federation.enrolled': 'Enrolled with a hub',
  'federation.task-approved': 'Task approved',
  'federation.task-declined': 'Task declined',
  'federation.approval-withdrawn': 'Approval withdrawn',
  'audit.exported': 'Audit log exported',
  'model.exported': 'Model exported',
  'held.released': 'Held image released',
  'held.cleaned': 'Held image cleaned',
  'held.excluded': 'Held image left out',
  'held.still-held': 'Held image kept',
  'held.deleted': 'Held image deleted',
  'ingest.completed': 'Import finished',
  'ingest.failed': 'Import failed',
  'ingest.interrupted': 'Import interrupted',
  'quarantine.cleaned': 'Quarantine tidied',
  'site.created': 'Site created',
  'site.settings-changed': 'Settings changed',
  'consent.imported': 'Consent imported',
  'consent.set': 'Consent recorded',
  'consent.withdrawn': 'Consent withdrawn',
  'consent.purged': 'Patient data purged',
  'consent.excluded': 'Left out by consent',
  'labels.imported': 'Labels imported',
  'task.added': 'Training data task added',
  'task.replaced': 'Training data task changed',
  'receiver.started': 'Receiver started',
  'receiver.stopped': 'Receiver stopped',
  'receiver.association': 'DICOM transfer',
  'receiver.association-refused': 'DICOM connection refused',
  'receiver.connection-cut': 'DICOM connection cut off',
  'receiver.connections-summarised': 'DICOM connections summarised',
};

/** A kind of entry for the filter, in words ("Model update sent"); an unknown kind from its name. */
export function kindWords(type: string): string {
  const known = KIND_WORDS[type];
  if (known) return known;
  const words = type.replace(/[.-]/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}
