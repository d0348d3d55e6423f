import { describe, expect, it } from 'vitest';
import { summaryParts } from './task-summary-sections.ts';

describe('a task summary as the Training page shows it', () => {
  const summary = [
    'Task t1: "Nodules" (active) from the hub at https://hub.test',
    '  Model: resnet-small.',
    '  Rounds: 20; in each, 10 training steps.',
    'What leaves this site:',
    '  - per round, one model update;',
    '  Never images.',
    'How each patient is protected:',
    '  Each patient is protected, all of that patient’s images together.',
    '  Technical detail: patient-level DP-SGD, σ = 2, docs/differential-privacy.md.',
  ];

  it('puts the privacy lines under their own heading, not under what leaves the site', () => {
    const parts = summaryParts(summary);
    expect(parts.facts).toEqual(['Model: resnet-small.', 'Rounds: 20; in each, 10 training steps.']);
    expect(parts.sections.map((s) => s.heading)).toEqual([
      'What leaves this site',
      'How each patient is protected',
    ]);
    expect(parts.sections[0]!.lines).toEqual(['per round, one model update;', 'Never images.']);
    expect(parts.sections[1]!.lines).toEqual([
      'Each patient is protected, all of that patient’s images together.',
    ]);
  });

  it('keeps the technical line apart, for a disclosure, without its prefix', () => {
    const privacy = summaryParts(summary).sections[1]!;
    expect(privacy.technical).toEqual(['patient-level DP-SGD, σ = 2, docs/differential-privacy.md.']);
    expect(privacy.lines.join(' ')).not.toContain('DP-SGD');
  });
});
