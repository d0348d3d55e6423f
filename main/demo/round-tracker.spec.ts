// The demo's line for each published round says what the hub did with the updates, in the words that
// are true for the task's protection: averaged, unmasked only the sum, or added ciphertexts it cannot read.
import { expect, it } from 'vitest';
import { RoundTracker } from './round-tracker.ts';

function roundLine(protection: 'plain' | 'masked' | 'homomorphic'): string {
  const lines: string[] = [];
  let now = 0;
  const tracker = new RoundTracker(
    1,
    (line) => lines.push(line),
    () => now,
    protection,
  );
  const taskId = 'task_1';
  tracker.on('A', {
    type: 'round-started',
    taskId,
    round: 1,
    baseVersion: 0,
    train: 8,
    validation: 2,
    resumed: false,
  });
  tracker.on('A', { type: 'submitted', taskId, round: 1, bytes: 2_000_000, resumedFromBytes: 0, seconds: 1 });
  now = 3000;
  tracker.on('A', { type: 'round-published', taskId, round: 1, version: 1, patients: 8 });
  expect(lines).toHaveLength(1);
  return lines[0]!;
}

it('says the hub averaged plain updates, unmasked only the sum of masked ones, and never read encrypted ones', () => {
  expect(roundLine('plain')).toContain('the hub averaged them into global model v1');
  expect(roundLine('masked')).toContain('the hub unmasked only their sum and made global model v1');
  const homomorphic = roundLine('homomorphic');
  expect(homomorphic).toContain('the hub added the ciphertexts without reading them');
  expect(homomorphic).not.toContain('averaged');
  expect(homomorphic).toContain('(3.0 s for the round)');
});
