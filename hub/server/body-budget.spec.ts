// The room for unverified bodies on its own: per site, for senders with no site, and all together;
// who waits, who is refused, and that room comes back exactly once.
import { describe, expect, it } from 'vitest';
import { HubError } from '../hub-errors.ts';
import { ANONYMOUS, BodyBudget, type BodyBudgetPolicy } from './body-budget.ts';

const POLICY: BodyBudgetPolicy = {
  perSiteBytes: 100,
  anonymousBytes: 30,
  totalBytes: 250,
  waitingPerSender: 2,
  waitingTotal: 3,
  waitMs: 60_000,
};
const open = () => new AbortController().signal;
const refusal = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: unknown) => (error instanceof HubError ? error.statusCode : String(error)),
  );

describe('BodyBudget', () => {
  it("holds one site to its room: a second body waits until the first's room is given back", async () => {
    const budget = new BodyBudget(POLICY);
    const first = await budget.reserve('site_a', 80, open());
    let second: (() => void) | undefined;
    const waiting = budget.reserve('site_a', 80, open()).then((release) => (second = release));
    await Promise.resolve();
    expect(second).toBeUndefined();
    expect(budget.waiting).toBe(1);
    // Another site is not held up by site_a's waiting body.
    const other = await budget.reserve('site_b', 80, open());
    first();
    first(); // giving back twice changes nothing
    await waiting;
    expect(budget.heldBytes).toBe(160);
    other();
    second?.();
    expect(budget.heldBytes).toBe(0);
    expect(budget.peakHeldBytes).toBe(160);
  });

  it('refuses with 503 beyond the waiting limits, per sender and in all', async () => {
    const budget = new BodyBudget(POLICY);
    const connection = new AbortController();
    const wait = (sender: string) => refusal(budget.reserve(sender, 100, connection.signal));
    await budget.reserve('site_a', 100, open());
    const queued = [wait('site_a'), wait('site_a')];
    expect(await refusal(budget.reserve('site_a', 10, open()))).toBe(503);
    await budget.reserve('site_b', 100, open());
    queued.push(wait('site_b'));
    expect(await refusal(budget.reserve('site_c', 100, open()))).toBe(503); // 3 waiting in all
    expect(budget.waiting).toBe(3);
    connection.abort();
    await Promise.all(queued);
  });

  it('keeps senders with no site to their own small room, and the hub to its total', async () => {
    const budget = new BodyBudget(POLICY);
    await budget.reserve(ANONYMOUS, 30, open());
    const controller = new AbortController();
    const anonymous = refusal(budget.reserve(ANONYMOUS, 1, controller.signal));
    await budget.reserve('site_a', 100, open());
    await budget.reserve('site_b', 100, open());
    const overTotal = refusal(budget.reserve('site_c', 100, controller.signal));
    expect(budget.heldBytes).toBe(230);
    controller.abort(); // both waiters' connections closed: they leave the queue
    expect(await anonymous).toMatch(/closed while it waited/);
    expect(await overTotal).toMatch(/closed while it waited/);
    expect(budget.waiting).toBe(0);
  });

  it('refuses a body that waited longer than waitMs', async () => {
    const budget = new BodyBudget({ ...POLICY, waitMs: 20 });
    await budget.reserve('site_a', 100, open());
    expect(await refusal(budget.reserve('site_a', 1, open()))).toBe(503);
    expect(budget.waiting).toBe(0);
  });
});
