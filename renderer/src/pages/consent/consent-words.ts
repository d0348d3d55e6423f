// Words for the Consent page, and reading a picked file for the agent.
import type {
  ConsentDecisionView,
  ConsentImportResult,
  WithdrawPreview,
} from '../../../../shared/ipc/index.ts';

const plural = (n: number, one: string, many = `${one}s`) =>
  `${n.toLocaleString('en')} ${n === 1 ? one : many}`;

/** What a withdrawal will do, one sentence per consequence, for the confirmation. */
export function withdrawalConsequences(preview: WithdrawPreview): string[] {
  const lines: string[] = [];
  if (preview.studies > 0 || preview.instances > 0) {
    lines.push(
      `Delete ${plural(preview.studies, 'de-identified study', 'de-identified studies')} (${plural(preview.instances, 'image')}) from the research store.`,
    );
  }
  if (preview.heldFiles > 0)
    lines.push(`Delete ${plural(preview.heldFiles, 'held file')} kept in quarantine.`);
  if (preview.tensorCache) lines.push('Delete the training data prepared from this patient’s images.');
  if (lines.length === 0) lines.push('Nothing to delete: the site holds no data of this patient.');
  lines.push('Keep this patient out of every later import and training round.');
  if (preview.rounds.length > 0) {
    lines.push(
      `${plural(preview.rounds.length, 'completed training round')} already used their data; that cannot be undone, and the audit log records which.`,
    );
  }
  return lines;
}

/** "Imported 2 rows: 2 new entries (1 granted, 1 refused, 0 withdrawn)." */
export function importSentence(result: Extract<ConsentImportResult, { imported: true }>): string {
  const { granted, refused, withdrawn } = result.byStatus;
  let text = `Imported ${plural(result.rows, 'row')}: ${plural(result.added, 'new entry', 'new entries')} (${granted} granted, ${refused} refused, ${withdrawn} withdrawn)`;
  if (result.alreadyRecorded > 0) text += `, ${result.alreadyRecorded} already recorded`;
  text += '.';
  if (result.purgedPatients > 0) {
    text += ` The data of ${plural(result.purgedPatients, 'patient')} who ${result.purgedPatients === 1 ? 'is' : 'are'} now out was purged.`;
  }
  return text;
}

export function decisionWords(decision: ConsentDecisionView): string {
  const status = decision.status === null ? 'no entry' : decision.status;
  return decision.in ? `In (${status})` : `Out (${status})`;
}

export const POLICY_WORDS: Readonly<Record<string, string>> = {
  'opt-in': 'Opt-in: only patients who granted consent are used.',
  'opt-out': 'Opt-out: every patient is used unless they refused or withdrew.',
  'not-set': 'Not set: read as opt-out until a policy is chosen in the setup.',
};

/** Base64 of a file's bytes (the agent reads the encoding itself: UTF-8 or Latin-1). */
export function bytesToBase64(bytes: Uint8Array): string {
  let binary = '';
  const chunk = 0x8000;
  for (let i = 0; i < bytes.length; i += chunk)
    binary += String.fromCharCode(...bytes.subarray(i, i + chunk));
  return btoa(binary);
}
