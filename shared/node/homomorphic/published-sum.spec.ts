// The hub's receipt of a homomorphic round's sum: it round-trips with the frame, and a site refuses a
// receipt that lists a site twice, disagrees with the frame's count, names another task, or is missing.
import { describe, expect, it } from 'vitest';
import { decodePublishedSum, encodePublishedSum, sumReceiptProblem } from './published-sum.ts';

const frame = Buffer.from('RHE1 the frame');
const expected = { taskId: 't1', quorum: 2 };

describe('published encrypted sum', () => {
  it('carries the receipt (sites sorted, counted) and the frame', () => {
    const { receipt, frame: back } = decodePublishedSum(
      encodePublishedSum({ taskId: 't1', round: 3, sites: ['b', 'a'] }, frame),
    );
    expect(receipt).toEqual({
      format: 'radfed-he-sum-receipt-1',
      taskId: 't1',
      round: 3,
      updates: 2,
      sites: ['a', 'b'],
    });
    expect(Buffer.from(back).equals(frame)).toBe(true);
    expect(sumReceiptProblem(receipt, 2, expected)).toBeNull();
  });

  it('refuses a site listed twice, a count the frame does not match, another task, too few sites', () => {
    const receipt = (sites: string[], taskId = 't1') =>
      decodePublishedSum(encodePublishedSum({ taskId, round: 1, sites }, frame)).receipt;
    expect(sumReceiptProblem(receipt(['a', 'a']), 2, expected)).toMatch(/lists a site more than once/);
    expect(sumReceiptProblem(receipt(['a', 'b']), 3, expected)).toMatch(
      /lists 2 updates, but the sum says it holds 3/,
    );
    expect(sumReceiptProblem(receipt(['a', 'b'], 't2'), 2, expected)).toMatch(/of another task/);
    expect(sumReceiptProblem(receipt(['a']), 1, expected)).toMatch(
      /of 1 update, but this task needs at least 2/,
    );
  });

  it('refuses a bare frame or a damaged receipt with a sentence, not a parse error', () => {
    expect(() => decodePublishedSum(frame)).toThrow(/RHS1 marker .* is missing\. Update RadFed/);
    const bytes = Buffer.from(encodePublishedSum({ taskId: 't1', round: 1, sites: ['a'] }, frame));
    bytes.writeUInt32BE(10_000, 4);
    expect(() => decodePublishedSum(bytes)).toThrow(/receipt is cut short/);
  });
});
