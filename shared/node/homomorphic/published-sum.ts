// What a homomorphic round publishes: the encrypted sum together with the hub's receipt of what went
// into it, in one blob, so the hub's signature over the published model (task, version, round, the
// blob's SHA-256) covers both:
//   "RHS1" | receipt length (u32, big-endian) | receipt (JSON, UTF-8) | the sum's frame ("RHE1…")
// The receipt names the round and the sites whose accepted updates were added. The hub cannot read
// the sum, but it chooses which ciphertexts to add and writes the frame's count, so a site checks
// the receipt before it uses a sum: as many updates as sites listed, each site once, at least the
// task's quorum, and (after decrypting) a weight total that those updates could carry.
import { z } from 'zod';
import { HomomorphicError } from './homomorphic-error.ts';

const MAGIC = Buffer.from('RHS1');
/** A receipt names at most 2¹⁶ sites (the most a sum is sized for) of ids far under 200 bytes. */
const MAX_RECEIPT_BYTES = 16 * 1024 * 1024;

const receiptSchema = z.object({
  format: z.literal('radfed-he-sum-receipt-1'),
  taskId: z.string().min(1).max(200),
  round: z.number().int().min(1),
  /** The accepted updates added into the sum, one per site. */
  updates: z.number().int().min(1),
  /** The sites whose updates were added, sorted. */
  sites: z.array(z.string().min(1).max(200)).min(1),
});
export type SumReceipt = z.infer<typeof receiptSchema>;

export function encodePublishedSum(
  receipt: Omit<SumReceipt, 'format' | 'updates'>,
  frame: Uint8Array,
): Uint8Array {
  const full: SumReceipt = {
    format: 'radfed-he-sum-receipt-1',
    taskId: receipt.taskId,
    round: receipt.round,
    updates: receipt.sites.length,
    sites: [...receipt.sites].sort(),
  };
  const json = Buffer.from(JSON.stringify(full), 'utf8');
  const length = Buffer.alloc(4);
  length.writeUInt32BE(json.byteLength);
  return Buffer.concat([MAGIC, length, json, frame]);
}

/** The receipt and the sum's frame of a published version (the frame is checked when it is decrypted). */
export function decodePublishedSum(bytes: Uint8Array): { receipt: SumReceipt; frame: Uint8Array } {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const refuse = (why: string): never => {
    throw new HomomorphicError(
      'bad-ciphertext',
      `The published encrypted sum cannot be read: ${why} Update RadFed at this site and at the hub.`,
    );
  };
  if (buffer.byteLength < 8 || !buffer.subarray(0, 4).equals(MAGIC))
    refuse('the RHS1 marker (the hub\u2019s receipt of the updates in it) is missing.');
  const length = buffer.readUInt32BE(4);
  if (length > MAX_RECEIPT_BYTES || 8 + length > buffer.byteLength) refuse('its receipt is cut short.');
  let parsed: unknown;
  try {
    parsed = JSON.parse(buffer.subarray(8, 8 + length).toString('utf8'));
  } catch {
    return refuse('its receipt is not JSON.');
  }
  const receipt = receiptSchema.safeParse(parsed);
  if (!receipt.success) return refuse('its receipt does not have the expected fields.');
  return { receipt: receipt.data, frame: buffer.subarray(8 + length) };
}

/**
 * Why this site must not use a published sum, in plain words; null when the receipt is sound for the
 * task: for the task and round asked, each site once, as many updates as sites, the frame's own count
 * equal to it, and at least the task's quorum.
 */
export function sumReceiptProblem(
  receipt: SumReceipt,
  frameContributions: number,
  expected: { taskId: string; quorum: number },
): string | null {
  const round = `round ${receipt.round}'s encrypted sum`;
  if (receipt.taskId !== expected.taskId)
    return `The hub published, as this task's model, ${round} of another task; this site does not use it.`;
  if (new Set(receipt.sites).size !== receipt.sites.length || receipt.updates !== receipt.sites.length) {
    return `The hub's receipt for ${round} lists a site more than once; this site does not use the sum. Tell the federation's coordinator: the hub may have added an update twice.`;
  }
  if (frameContributions !== receipt.updates) {
    return `The hub's receipt for ${round} lists ${receipt.updates} updates, but the sum says it holds ${frameContributions}; this site does not use it. Tell the federation's coordinator.`;
  }
  if (receipt.updates < expected.quorum) {
    const updates = receipt.updates === 1 ? '1 update' : `${receipt.updates} updates`;
    return `The hub published ${round} of ${updates}, but this task needs at least ${expected.quorum} (its quorum): a sum of so few sites could reveal one site's update, so this site does not use it. Tell the federation's coordinator.`;
  }
  return null;
}
