import { describe, expect, it } from 'vitest';
import type { WithdrawPreview } from '../../../../shared/ipc/index.ts';
import { bytesToBase64, decisionWords, importSentence, withdrawalConsequences } from './consent-words.ts';

const preview: WithdrawPreview = {
  pseudonym: 'RF0123456789ABCDEF',
  known: true,
  studies: 2,
  instances: 31,
  heldFiles: 1,
  tensorCache: true,
  rounds: [],
};

describe('consent words', () => {
  it('lists every consequence of a withdrawal', () => {
    expect(withdrawalConsequences(preview)).toEqual([
      'Delete 2 de-identified studies (31 images) from the research store.',
      'Delete 1 held file kept in quarantine.',
      'Delete the training data prepared from this patient’s images.',
      'Keep this patient out of every later import and training round.',
    ]);
  });

  it('says when nothing is held, and when rounds already used the data', () => {
    const lines = withdrawalConsequences({
      ...preview,
      studies: 0,
      instances: 0,
      heldFiles: 0,
      tensorCache: false,
      rounds: [{ taskId: 't', taskName: null, roundId: 'r', completedAt: '2026-01-01T00:00:00Z' }],
    });
    expect(lines[0]).toBe('Nothing to delete: the site holds no data of this patient.');
    expect(lines[2]).toMatch(/^1 completed training round already used their data/);
  });

  it('describes a decision', () => {
    expect(decisionWords({ in: false, status: 'withdrawn', reason: 'withdrawn' })).toBe('Out (withdrawn)');
    expect(decisionWords({ in: true, status: null, reason: null })).toBe('In (no entry)');
  });

  it('encodes bytes as base64, Latin-1 bytes included', () => {
    const bytes = new Uint8Array([0x70, 0x61, 0xe9, 0x00, 0xff]);
    expect(bytesToBase64(bytes)).toBe('cGHpAP8=');
  });

  it('sums up an import', () => {
    const result = {
      imported: true as const,
      rows: 3,
      added: 2,
      alreadyRecorded: 1,
      purgedPatients: 1,
      byStatus: { granted: 1, refused: 0, withdrawn: 1 },
    };
    expect(importSentence(result)).toBe(
      'Imported 3 rows: 2 new entries (1 granted, 0 refused, 1 withdrawn), 1 already recorded. The data of 1 patient who is now out was purged.',
    );
  });
});
