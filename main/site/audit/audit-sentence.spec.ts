import { describe, expect, it } from 'vitest';
import type { AuditDetail } from './audit-log.ts';
import { auditSentence, SENTENCE_KINDS, sizeInWords } from './audit-sentence.ts';

const P = 'RF0123456789ABCDEF';
/** One entry of each kind, as its writer records it, with the sentence the Audit page shows. */
const CASES: [type: string, detail: AuditDetail, sentence: string][] = [
  [
    'federation.update-sent',
    {
      taskId: 'task_1',
      taskName: 'Lung nodule',
      hubName: 'North Hub',
      round: 7,
      baseVersion: 6,
      bytes: 612_345,
      sha256: 'ab'.repeat(32),
      compression: 'none',
      secureAggregation: true,
      differentialPrivacy: null,
      examples: 1,
    },
    "Update for round 7 of 'Lung nodule' sent to North Hub: 0.61 MB, secure aggregation on",
  ],
  [
    'federation.update-sent',
    {
      taskName: 'Lung nodule',
      hubName: 'North Hub',
      round: 2,
      bytes: 1_250_000,
      compression: 'float16',
      secureAggregation: false,
      differentialPrivacy: {
        clipNorm: 1,
        noiseMultiplier: 1.2,
        epsilonBudget: 10,
        delta: 1e-5,
        epsilonSpent: 1.234,
      },
    },
    "Update for round 2 of 'Lung nodule' sent to North Hub: 1.25 MB, secure aggregation off, " +
      'differential privacy on (ε 1.23 of 10.0 spent), compressed to float16',
  ],
  [
    'federation.initial-model-sent',
    { taskName: 'Lung nodule', hubName: 'North Hub', bytes: 300_000, sha256: 'cd'.repeat(32) },
    "Starting model of 'Lung nodule' sent to North Hub: 0.30 MB, made from the model's design, not from any image",
  ],
  [
    'federation.enrolled',
    { hubName: 'North Hub', hubUrl: 'https://hub' },
    "Site enrolled with the hub 'North Hub'",
  ],
  [
    'federation.task-approved',
    { taskName: 'Lung nodule', rounds: 20 },
    "Task 'Lung nodule' approved for training (20 rounds)",
  ],
  ['federation.task-declined', { taskName: 'Lung nodule' }, "Task 'Lung nodule' declined"],
  [
    'federation.split-session-stopped',
    {
      taskName: 'Lung nodule',
      round: 2,
      reason: 'Split learning was stopped at this site: after 36 steps, …',
    },
    "Split learning for 'Lung nodule' stopped by this site in round 2: Split learning was stopped at this site: after 36 steps, …",
  ],
  [
    'federation.plan-refused',
    {
      taskId: 'task_1',
      taskName: 'Lung nodule',
      hubName: 'North Hub',
      round: 3,
      phase: 'sharing',
      field: 'clipRange',
      planned: 0.000001,
      expected: 0.5,
      problem:
        'the clip range of the updates is 0.000001 in the plan; the approved task says 0.5 for 3 participants.',
      maskedInputSent: false,
      reason: "Refused the hub's secure-aggregation plan for round 3: …",
    },
    "Secure-aggregation plan of North Hub for round 3 of 'Lung nodule' refused, its clip range " +
      '(0.000001 where the approved task says 0.5): this site took no part in the round',
  ],
  [
    'federation.plan-refused',
    {
      taskName: 'Lung nodule',
      hubName: 'North Hub',
      round: 4,
      phase: 'unmasking',
      field: 'survivors',
      planned: 2,
      expected: 3,
      maskedInputSent: true,
    },
    "Secure-aggregation plan of North Hub for round 4 of 'Lung nodule' refused, its count of survivors to unmask " +
      '(2 where the approved task says 3): this site gave no shares to unmask the round (its update had left only masked)',
  ],
  [
    'swarm.plan-refused',
    {
      round: 2,
      attempt: 1,
      leader: '0123abcd'.repeat(8),
      field: 'threshold',
      planned: 1,
      expected: 2,
      reason: 'Refused the secure-aggregation plan of member 0123abcd, leader of round 2: …',
    },
    'Secure-aggregation plan of swarm member 0123abcd, leader of round 2, refused, its share threshold ' +
      "(1 where the approved task says 2): this member took no part in that leader's attempt",
  ],
  [
    'swarm.plan-refused',
    {
      round: 5,
      attempt: 2,
      leader: 'fedcba98'.repeat(8),
      field: 'participant-list',
      planned: null,
      expected: 0,
    },
    'Secure-aggregation plan of swarm member fedcba98, leader of round 5 (start 2), refused, its list of ' +
      "participants does not match the approved task: this member took no part in that leader's attempt",
  ],
  ['federation.approval-withdrawn', { taskName: 'Lung nodule' }, "Approval of task 'Lung nodule' withdrawn"],
  ['audit.exported', { entries: 1, format: 'csv' }, 'Audit log exported as CSV (1 entry)'],
  [
    'model.exported',
    { taskName: 'Lung nodule', version: 3, bytes: 2_000_000 },
    "Model version 3 of 'Lung nodule' exported: 2.00 MB",
  ],
  [
    'held.released',
    { heldId: 4, how: 'as-is', confirmedBy: 'Jane Doe', patientPseudonym: P },
    'Held image #4 released as is: Jane Doe confirmed it shows no burned-in text',
  ],
  [
    'held.cleaned',
    { heldId: 5, how: 'cleaned', policy: 'identifying', boxes: 2 },
    'Held image #5 cleaned of burned-in text (2 areas covered); kept for a person to check',
  ],
  [
    'held.released',
    { heldId: 9, how: 'cleaned', policy: 'identifying', boxes: 1, patientPseudonym: P },
    'Held image #9 cleaned of burned-in text, checked again and released',
  ],
  [
    'held.excluded',
    { heldId: 6, patientPseudonym: P },
    'Held image #6 reviewed and left out: the patient is not in by consent',
  ],
  [
    'held.still-held',
    { heldId: 7, reason: 'text left' },
    'Held image #7 stays held: it could not be released safely',
  ],
  ['held.deleted', { heldId: 8, patientPseudonym: P }, 'Held image #8 deleted, with its identified copy'],
  [
    'ingest.completed',
    { files: 12, deidentified: 9, held: 1, rejected: 1, alreadyIngested: 0, failed: 0, excluded: 1 },
    'Import finished: 12 files, 9 de-identified and stored, 1 held back for review, 1 left out by consent, 1 not DICOM or not usable',
  ],
  [
    'ingest.failed',
    { files: 3, deidentified: 1, error: 'ENOSPC' },
    'Import stopped by a problem of the site (ENOSPC): 3 files, 1 de-identified and stored',
  ],
  [
    'ingest.interrupted',
    { deidentified: 233 },
    'Import interrupted when RadFed stopped: 233 de-identified and stored before it stopped',
  ],
  [
    'quarantine.cleaned',
    { removedUnrecordedCopies: 2 },
    'Quarantine tidied: 2 leftover identified copies removed',
  ],
  ['site.created', { consentPolicy: 'opt-out' }, 'Site created, consent policy opt-out'],
  [
    'site.settings-changed',
    { studiesSource: 'receiver' },
    'Site settings changed: studies from the DICOM receiver',
  ],
  [
    'site.settings-changed',
    { setting: 'heldFilePolicy', from: 'hold', to: 'clean-automatically' },
    'Site settings changed: images with text in the picture cleaned at import and released when they read clean',
  ],
  [
    'site.settings-changed',
    {
      setting: 'splitLeakageLimits',
      from: { maxImageSsim: 1, maxLabelAuc: 1 },
      to: { maxImageSsim: 0.4, maxLabelAuc: 1 },
    },
    "Site settings changed: split learning's leakage limits set to image similarity (SSIM) at most 0.4, label AUC no limit",
  ],
  ['consent.imported', { rows: 2, added: 2 }, 'Consent export imported: 2 rows, 2 new entries'],
  [
    'consent.set',
    { pseudonym: P, status: 'refused', date: '2024-02-01' },
    `Consent of patient ${P} recorded as refused on 2024-02-01`,
  ],
  ['consent.withdrawn', { pseudonym: P, date: '2024-03-01' }, `Patient ${P} withdrew consent on 2024-03-01`],
  [
    'consent.purged',
    { pseudonym: P, studies: 1, instances: 3 },
    `Data of patient ${P} purged: 1 study (3 images)`,
  ],
  [
    'consent.excluded',
    { files: 4, patients: [{ pseudonym: P }] },
    '4 files of 1 patient left out of an import by consent',
  ],
  [
    'labels.imported',
    { taskId: 'chest-nodule', studiesLabelled: 30 },
    "Labels imported for training data task 'chest-nodule': 30 studies labelled",
  ],
  ['task.added', { taskId: 'chest-nodule' }, "Training data task 'chest-nodule' added"],
  ['task.replaced', { taskId: 'chest-nodule' }, "Training data task 'chest-nodule' changed"],
  ['receiver.started', { aeTitle: 'RADFED', port: 11112 }, 'DICOM receiver started as RADFED on port 11112'],
  ['receiver.stopped', { leftQueued: 0 }, 'DICOM receiver stopped'],
  [
    'receiver.association',
    { callingAeTitle: 'PACS', stored: 3, refused: 1 },
    'DICOM transfer from PACS: 3 images received, 1 refused',
  ],
  [
    'receiver.association-refused',
    { callingAeTitle: 'ROGUE', reason: 'not on the list' },
    'DICOM connection from ROGUE refused: not on the list',
  ],
  ['receiver.connection-cut', { callingAeTitle: 'PACS' }, 'DICOM connection from PACS cut off'],
  [
    'receiver.connections-summarised',
    { connections: 40, remoteAddress: '10.0.0.9', kind: 'refused' },
    '40 more DICOM connections from 10.0.0.9 refused',
  ],
];

describe('auditSentence', () => {
  it.each(CASES)('says a %s entry in one plain sentence', (type, detail, sentence) => {
    expect(auditSentence({ type, detail })).toBe(sentence);
  });

  it('has a case above for every kind with its own sentence', () => {
    expect(new Set(CASES.map(([type]) => type))).toEqual(new Set(SENTENCE_KINDS));
  });

  it('puts an unknown kind into words', () => {
    expect(auditSentence({ type: 'note.added', detail: {} })).toBe('Note added');
  });

  it('takes only the fields it names: a stray identifier in the detail never reaches the sentence', () => {
    const stray = { patientId: 'DOE^JANE', patientName: 'SMITH^ALICE', fileName: '7654321.dcm' };
    for (const [type, detail] of CASES) {
      const sentence = auditSentence({ type, detail: { ...detail, ...stray } });
      for (const value of Object.values(stray)) expect(sentence).not.toContain(value);
    }
  });

  it('writes sizes as people read them', () => {
    expect(sizeInWords(610_000)).toBe('0.61 MB');
    expect(sizeInWords(1500)).toBe('1.5 KB');
    expect(sizeInWords(1)).toBe('1 byte');
  });
});
