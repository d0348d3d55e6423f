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

// The sites report over separate pipes: Hospital A's 'round-published' can arrive before Hospital B's
// 'submitted' of the same round. The line said "1 sites trained" for a round all three sites had sent.
it('counts every site in the round line, whichever order the sites reports arrive in', () => {
  const lines: string[] = [];
  const tracker = new RoundTracker(
    3,
    (line) => lines.push(line),
    () => 0,
    'masked',
  );
  const taskId = 'task_1';
  const sent = (site: string, round: number) =>
    tracker.on(site, { type: 'submitted', taskId, round, bytes: 1_000_000, resumedFromBytes: 0, seconds: 1 });
  const started = (site: string, round: number) =>
    tracker.on(site, {
      type: 'round-started',
      taskId,
      round,
      baseVersion: round - 1,
      train: 8,
      validation: 2,
      resumed: false,
    });
  for (const site of ['A', 'B', 'C']) started(site, 1);
  sent('A', 1);
  tracker.on('A', { type: 'round-published', taskId, round: 1, version: 1, patients: 8 });
  expect(lines).toEqual([]);
  sent('B', 1);
  started('A', 2);
  expect(lines).toEqual([]);
  sent('C', 1);
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^Round 1: 3 sites trained /);

  // A site that goes silent: its round's line is said once a site is two rounds on, or at the end.
  sent('A', 2);
  sent('B', 2);
  tracker.on('A', { type: 'round-published', taskId, round: 2, version: 2, patients: 8 });
  started('A', 3);
  expect(lines).toHaveLength(1);
  started('A', 4);
  expect(lines[1]).toMatch(/^Round 2: 2 sites trained /);
  sent('A', 4);
  tracker.on('A', { type: 'round-published', taskId, round: 4, version: 4, patients: 8 });
  tracker.flush();
  expect(lines[2]).toMatch(/^Round 4: 1 site trained /);
});
