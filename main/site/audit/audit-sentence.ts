// Each audit entry as one plain sentence for the privacy officer ("Update for round 7 of 'Lung nodule'
// sent to North Hub: 0.61 MB, secure aggregation on"). Built from the entry's type and detail only:
// the detail never holds a patient identifier (audit-log.ts), and the sentences add none; pseudonyms
// appear only in consent entries, as on the Consent page. The person is shown beside the sentence.
import type { AuditDetail } from './audit-log.ts';
import type { JsonValue } from './canonical-json.ts';

type Sentence = (d: AuditDetail) => string;

const str = (d: AuditDetail, key: string): string | null => {
  const value = d[key];
  return typeof value === 'string' && value.trim() !== '' ? value : null;
};
const num = (d: AuditDetail, key: string): number | null => {
  const value = d[key];
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
};
const count = (n: number, one: string, many = `${one}s`) =>
  `${n.toLocaleString('en')} ${n === 1 ? one : many}`;
const quoted = (name: string | null, fallback: string) => (name ? `'${name}'` : fallback);
const object = (value: JsonValue | undefined): AuditDetail | null =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? value : null;

/** "0.61 MB", "12 KB": sizes as a person reads them (1 MB = 10⁶ bytes, as the hub reports). */
export function sizeInWords(bytes: number): string {
  if (bytes >= 10_000) return `${(bytes / 1e6).toFixed(2)} MB`;
  if (bytes >= 1000) return `${(bytes / 1e3).toFixed(1)} KB`;
  return count(bytes, 'byte');
}

function epsilon(value: number): string {
  return value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2);
}

function updateSent(d: AuditDetail): string {
  const round = num(d, 'round');
  const bytes = num(d, 'bytes');
  const parts = [
    bytes === null ? null : sizeInWords(bytes),
    `secure aggregation ${d.secureAggregation === true ? 'on' : 'off'}`,
  ];
  const dp = object(d.differentialPrivacy);
  const spent = dp ? num(dp, 'epsilonSpent') : null;
  const budget = dp ? num(dp, 'epsilonBudget') : null;
  if (dp && spent !== null && budget !== null)
    parts.push(`differential privacy on (ε ${epsilon(spent)} of ${epsilon(budget)} spent)`);
  const compression = str(d, 'compression');
  if (compression && compression !== 'none') parts.push(`compressed to ${compression}`);
  return (
    `Update for round ${round ?? '?'} of ${quoted(str(d, 'taskName'), 'a task')} sent to ` +
    `${str(d, 'hubName') ?? 'the hub'}: ${parts.filter(Boolean).join(', ')}`
  );
}

function ingestCounts(d: AuditDetail): string {
  const parts = [
    `${count(num(d, 'files') ?? 0, 'file')}`,
    `${(num(d, 'deidentified') ?? 0).toLocaleString('en')} de-identified and stored`,
  ];
  const held = num(d, 'held') ?? 0;
  const rejected = num(d, 'rejected') ?? 0;
  const failed = num(d, 'failed') ?? 0;
  const excluded = num(d, 'excluded') ?? 0;
  const already = num(d, 'alreadyIngested') ?? 0;
  if (already > 0) parts.push(`${already.toLocaleString('en')} already stored`);
  if (held > 0) parts.push(`${held.toLocaleString('en')} held back for review`);
  if (excluded > 0) parts.push(`${excluded.toLocaleString('en')} left out by consent`);
  if (rejected > 0) parts.push(`${rejected.toLocaleString('en')} not DICOM or not usable`);
  if (failed > 0) parts.push(`${failed.toLocaleString('en')} failed`);
  return parts.join(', ');
}

function heldRef(d: AuditDetail): string {
  const id = d.heldId;
  return typeof id === 'number' || typeof id === 'string' ? `Held image #${id}` : 'A held image';
}

function released(d: AuditDetail): string {
  const how = str(d, 'how');
  if (how === 'as-is') {
    const by = str(d, 'confirmedBy');
    return `${heldRef(d)} released as is: ${by ?? 'a person'} confirmed it shows no burned-in text`;
  }
  return `${heldRef(d)} cleaned of burned-in text, checked again and released`;
}

/** Images held for text in the picture (main/site/held/held-policy.ts): what now happens to them. */
const HELD_POLICY: Record<string, string> = {
  hold: 'held for a person to decide',
  'clean-automatically': 'cleaned at import and released when they read clean',
  'clean-and-ask': 'cleaned at import, a person still deciding on release',
};

/** A limit of 1 refuses nothing (site.json's way of saying "no limit"). */
function splitLimits(to: AuditDetail | null): string {
  const limit = (key: string, words: string) => {
    const value = to ? num(to, key) : null;
    return `${words} ${value === null || value >= 1 ? 'no limit' : `at most ${value}`}`;
  };
  return `set to ${limit('maxImageSsim', 'image similarity (SSIM)')}, ${limit('maxLabelAuc', 'label AUC')}`;
}

function settingsChanged(d: AuditDetail): string {
  const changed: string[] = [];
  if (str(d, 'name')) changed.push(`name '${str(d, 'name')}'`);
  if (str(d, 'consentPolicy')) changed.push(`consent policy ${str(d, 'consentPolicy')}`);
  const source = str(d, 'studiesSource');
  if (source)
    changed.push(
      `studies ${source === 'folder' ? 'imported by hand' : `from the ${source === 'watch' ? 'watched folder' : 'DICOM receiver'}`}`,
    );
  if (object(d.receiver)) changed.push('DICOM receiver settings');
  if (object(d.watch)) changed.push('watched folder');
  // Entries that name one setting with its value before and after (the held-file policy, the split limits).
  const setting = str(d, 'setting');
  if (setting === 'heldFilePolicy')
    changed.push(`images with text in the picture ${HELD_POLICY[str(d, 'to') ?? ''] ?? 'policy changed'}`);
  if (setting === 'splitLeakageLimits')
    changed.push(`split learning's leakage limits ${splitLimits(object(d.to))}`);
  return changed.length > 0 ? `Site settings changed: ${changed.join(', ')}` : 'Site settings changed';
}

/** What a refused secure-aggregation plan got wrong (the fields of shared/node/secagg/round-plan.ts). */
const PLAN_FIELD: Record<string, string> = {
  participants: 'count of participants',
  levels: 'quantisation levels',
  clipRange: 'clip range',
  statisticsClipRange: "clip range of batch norm's statistics",
  neighbours: 'neighbourhood size',
  threshold: 'share threshold',
  weightCap: 'weight cap',
  'participant-list': 'list of participants',
  'participant-keys': "participants' round keys",
  survivors: 'count of survivors to unmask',
};

/** "its share threshold (2 where the approved task says 3)": the field and both numbers where known. */
function planFault(d: AuditDetail): string {
  if (str(d, 'field') === 'changed-plan') return 'it contradicts what the hub said earlier in the round';
  const words = PLAN_FIELD[str(d, 'field') ?? ''] ?? 'plan';
  const planned = num(d, 'planned');
  const expected = num(d, 'expected');
  if (planned === null || expected === null) return `its ${words} does not match the approved task`;
  // Every digit of a small clip range (0.000001), none in exponent notation.
  const figure = (n: number) => n.toLocaleString('en', { maximumFractionDigits: 20 });
  return `its ${words} (${figure(planned)} where the approved task says ${figure(expected)})`;
}

/** A hub's secure-aggregation plan refused by this site (main/site/federation/plan-refusal-audit.ts). */
function hubPlanRefused(d: AuditDetail): string {
  const held =
    d.maskedInputSent === true
      ? 'this site gave no shares to unmask the round (its update had left only masked)'
      : 'this site took no part in the round';
  return (
    `Secure-aggregation plan of ${str(d, 'hubName') ?? 'the hub'} for round ${num(d, 'round') ?? '?'} of ` +
    `${quoted(str(d, 'taskName'), 'a task')} refused, ${planFault(d)}: ${held}`
  );
}

/** A swarm leader's plan refused by this member (main/site/swarm/plan-refusal-audit.ts). */
function swarmPlanRefused(d: AuditDetail): string {
  const leader = str(d, 'leader');
  const attempt = num(d, 'attempt');
  return (
    `Secure-aggregation plan of ${leader ? `swarm member ${leader.slice(0, 8)}` : 'a swarm member'}, leader of ` +
    `round ${num(d, 'round') ?? '?'}${attempt !== null && attempt > 1 ? ` (start ${attempt})` : ''}, refused, ` +
    `${planFault(d)}: this member took no part in that leader's attempt`
  );
}

const SENTENCES: Record<string, Sentence> = {
  'federation.update-sent': updateSent,
  'federation.initial-model-sent': (d) => {
    const bytes = num(d, 'bytes');
    return (
      `Starting model of ${quoted(str(d, 'taskName'), 'a task')} sent to ${str(d, 'hubName') ?? 'the hub'}` +
      `${bytes === null ? '' : `: ${sizeInWords(bytes)}`}, made from the model's design, not from any image`
    );
  },
  'federation.enrolled': (d) => `Site enrolled with the hub ${quoted(str(d, 'hubName'), '')}`.trimEnd(),
  'federation.task-approved': (d) => {
    const rounds = num(d, 'rounds');
    return `Task ${quoted(str(d, 'taskName'), '')} approved for training${rounds ? ` (${count(rounds, 'round')})` : ''}`;
  },
  'federation.split-session-stopped': (d) =>
    `Split learning for ${quoted(str(d, 'taskName'), 'a task')} stopped by this site in round ` +
    `${num(d, 'round') ?? '?'}: ${str(d, 'reason') ?? 'its hijack check failed'}`,
  'federation.plan-refused': hubPlanRefused,
  'swarm.plan-refused': swarmPlanRefused,
  'federation.task-declined': (d) => `Task ${quoted(str(d, 'taskName'), '')} declined`,
  'federation.approval-withdrawn': (d) => `Approval of task ${quoted(str(d, 'taskName'), '')} withdrawn`,
  'audit.exported': (d) => {
    const entries = num(d, 'entries');
    return `Audit log exported as CSV${entries === null ? '' : ` (${count(entries, 'entry', 'entries')})`}`;
  },
  'model.exported': (d) => {
    const version = num(d, 'version');
    const bytes = num(d, 'bytes');
    return (
      `Model${version === null ? '' : ` version ${version}`} of ${quoted(str(d, 'taskName'), 'a task')} exported` +
      (bytes === null ? '' : `: ${sizeInWords(bytes)}`)
    );
  },
  'held.released': released,
  'held.cleaned': (d) => {
    const boxes = num(d, 'boxes');
    return `${heldRef(d)} cleaned of burned-in text${boxes === null ? '' : ` (${count(boxes, 'area')} covered)`}; kept for a person to check`;
  },
  'held.excluded': (d) => `${heldRef(d)} reviewed and left out: the patient is not in by consent`,
  'held.still-held': (d) => `${heldRef(d)} stays held: it could not be released safely`,
  'held.deleted': (d) => `${heldRef(d)} deleted, with its identified copy`,
  'ingest.completed': (d) => `Import finished: ${ingestCounts(d)}`,
  'ingest.failed': (d) =>
    `Import stopped by a problem of the site (${str(d, 'error') ?? 'unknown'}): ${ingestCounts(d)}`,
  'ingest.interrupted': (d) =>
    `Import interrupted when RadFed stopped: ${(num(d, 'deidentified') ?? 0).toLocaleString('en')} de-identified and stored before it stopped`,
  'quarantine.cleaned': (d) =>
    `Quarantine tidied: ${count(num(d, 'removedUnrecordedCopies') ?? 0, 'leftover identified copy', 'leftover identified copies')} removed`,
  'site.created': (d) => `Site created, consent policy ${str(d, 'consentPolicy') ?? 'not set'}`,
  'site.settings-changed': settingsChanged,
  'consent.imported': (d) =>
    `Consent export imported: ${count(num(d, 'rows') ?? 0, 'row')}, ${count(num(d, 'added') ?? 0, 'new entry', 'new entries')}`,
  'consent.set': (d) =>
    `Consent of patient ${str(d, 'pseudonym') ?? '?'} recorded as ${str(d, 'status') ?? '?'}${str(d, 'date') ? ` on ${str(d, 'date')}` : ''}`,
  'consent.withdrawn': (d) =>
    `Patient ${str(d, 'pseudonym') ?? '?'} withdrew consent${str(d, 'date') ? ` on ${str(d, 'date')}` : ''}`,
  'consent.purged': (d) =>
    `Data of patient ${str(d, 'pseudonym') ?? '?'} purged: ${count(num(d, 'studies') ?? 0, 'study', 'studies')} (${count(num(d, 'instances') ?? 0, 'image')})`,
  'consent.excluded': (d) => {
    const patients = Array.isArray(d.patients) ? d.patients.length : 0;
    return `${count(num(d, 'files') ?? 0, 'file')} of ${count(patients, 'patient')} left out of an import by consent`;
  },
  'labels.imported': (d) =>
    `Labels imported for training data task ${quoted(str(d, 'taskId'), '')}: ${count(num(d, 'studiesLabelled') ?? 0, 'study', 'studies')} labelled`,
  'task.added': (d) => `Training data task ${quoted(str(d, 'taskId'), '')} added`,
  'task.replaced': (d) => `Training data task ${quoted(str(d, 'taskId'), '')} changed`,
  'receiver.started': (d) =>
    `DICOM receiver started as ${str(d, 'aeTitle') ?? '?'} on port ${num(d, 'port') ?? '?'}`,
  'receiver.stopped': () => 'DICOM receiver stopped',
  'receiver.association': (d) =>
    `DICOM transfer from ${str(d, 'callingAeTitle') ?? 'a sender'}: ${count(num(d, 'stored') ?? 0, 'image')} received` +
    ((num(d, 'refused') ?? 0) > 0 ? `, ${(num(d, 'refused') ?? 0).toLocaleString('en')} refused` : ''),
  'receiver.association-refused': (d) =>
    `DICOM connection from ${str(d, 'callingAeTitle') ?? 'a sender'} refused${str(d, 'reason') ? `: ${str(d, 'reason')}` : ''}`,
  'receiver.connection-cut': (d) =>
    `DICOM connection from ${str(d, 'callingAeTitle') ?? str(d, 'remoteAddress') ?? 'a sender'} cut off`,
  'receiver.connections-summarised': (d) =>
    `${count(num(d, 'connections') ?? 0, 'more DICOM connection', 'more DICOM connections')} from ${str(d, 'remoteAddress') ?? 'one address'} ${str(d, 'kind') === 'refused' ? 'refused' : 'cut off'}`,
};

/** The entry as one sentence, without a full stop (the page adds punctuation where it wants). */
export function auditSentence(entry: { type: string; detail: AuditDetail }): string {
  const sentence = SENTENCES[entry.type];
  if (sentence) return sentence(entry.detail);
  // A kind without its own words yet: its dotted name as words ("note.added" → "Note added").
  const words = entry.type.replace(/[.-]/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** The kinds of entry that have their own sentence (the spec checks each one). */
export const SENTENCE_KINDS: readonly string[] = Object.keys(SENTENCES);
