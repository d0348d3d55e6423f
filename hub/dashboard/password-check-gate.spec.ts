// The gate in front of scrypt on its own: how many checks run at once, how many wait, and that the
// rest are turned away without running.
import { describe, expect, it } from 'vitest';
import { hashPassword, verifyPassword } from './coordinator-accounts.ts';
import { PasswordCheckGate } from './password-check-gate.ts';
import { TEST_SCRYPT_COST } from './testing/dashboard-client.ts';

describe('PasswordCheckGate', () => {
  it('runs at most `concurrent` real scrypt checks at once, however many arrive together', async () => {
    const gate = new PasswordCheckGate({ concurrent: 2, waiting: 100 });
    const stored = await hashPassword('correct horse battery staple', { ...TEST_SCRYPT_COST, N: 2 ** 12 });
    let running = 0;
    let most = 0;
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        gate.run(async () => {
          running += 1;
          most = Math.max(most, running);
          try {
            return await verifyPassword(i === 5 ? 'correct horse battery staple' : `guess ${i}`, stored);
          } finally {
            running -= 1;
          }
        }),
      ),
    );
    expect(most).toBe(2);
    expect(results.map((result) => !result.busy && result.value)).toEqual(
      Array.from({ length: 12 }, (_, i) => i === 5),
    );
  });

  it('queues up to `waiting` checks and turns the rest away without running them', async () => {
    const gate = new PasswordCheckGate({ concurrent: 1, waiting: 2 });
    const started: number[] = [];
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    const runs = Array.from({ length: 6 }, (_, i) =>
      gate.run(async () => {
        started.push(i);
        await held;
        return i;
      }),
    );
    const turnedAway = await Promise.all(runs.slice(3));
    expect(turnedAway).toEqual([{ busy: true }, { busy: true }, { busy: true }]);
    expect(started).toEqual([0]);
    release();
    expect(await Promise.all(runs.slice(0, 3))).toEqual([0, 1, 2].map((value) => ({ busy: false, value })));
    expect(started).toEqual([0, 1, 2]);
    expect(await gate.run(async () => 'after')).toEqual({ busy: false, value: 'after' });
  });
});
