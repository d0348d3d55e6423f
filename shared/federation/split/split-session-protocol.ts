// Split learning's per-step session between a site and the hub: one WebSocket over the hub's pinned
// TLS per site and task, opened by a signed upgrade request (the same Ed25519 request signature as
// every other site request, over GET and the path with its query). On it, strictly one exchange at
// a time: the site sends a cut frame as a binary message, the hub answers with the next cut frame
// (binary) or a refusal (a text message, JSON below). Runs anywhere: no Node imports.
import { z } from 'zod';
import type { CutFrameDtype } from './cut-frame.ts';

/** The upgrade path: the task's trunk, and the session (32 hex digits) the site's frames carry. */
export function splitSessionPath(taskId: string, session: string): string {
  return `/v1/tasks/${encodeURIComponent(taskId)}/split?session=${session}`;
}

export const SPLIT_SESSION_PATH_PATTERN =
  /^\/v1\/tasks\/([A-Za-z0-9_-]{1,64})\/split\?session=([0-9a-f]{32})$/;

/**
 * What the site does after a refusal:
 * - `again`: send the same frame again (the trunk was busy, or the hub is going down);
 * - `restart-step`: the hub has no open step for this session (it restarted, or dropped the step of
 *   a site that went quiet): send the step's activations again, then its gradient;
 * - `never`: the frame is wrong and will stay wrong (a bug, another model): stop the session.
 */
export const SPLIT_RETRY = ['again', 'restart-step', 'never'] as const;
export type SplitRetry = (typeof SPLIT_RETRY)[number];

export const splitRefusalSchema = z.object({
  error: z.string().max(64),
  message: z.string().max(1000),
  retry: z.enum(SPLIT_RETRY),
});
export type SplitRefusal = z.infer<typeof splitRefusalSchema>;

/** WebSocket close codes the hub uses (RFC 6455 §7.4: 1009 too big; 4000–4999 private). */
export const SPLIT_CLOSE = {
  frameTooLarge: 1009,
  /** A text message or another protocol breach: not retried. */
  protocol: 1002,
  /** The hub is shutting down: reconnect later. */
  goingAway: 1001,
  /** Another connection of the same site and session replaced this one. */
  replaced: 4001,
  /** The site sent nothing for longer than the hub waits. */
  idle: 4002,
} as const;

/**
 * The largest message a trunk accepts: the bigger of its two incoming frames (activations at cut 1,
 * gradient at cut 2) for `maxBatch` images in float32, plus the header. Anything larger is refused by
 * the WebSocket layer from the length in the frame's first bytes, before any of it is held.
 */
export function maxSplitMessageBytes(options: {
  readonly perImageValues: readonly number[];
  readonly maxBatch: number;
}): number {
  const bytesPerValue: Record<CutFrameDtype, number> = { float32: 4, float16: 2, int8: 1 };
  const largest = Math.max(...options.perImageValues);
  const headerBytes = 32 + 4 * 6 + 4;
  return headerBytes + largest * options.maxBatch * bytesPerValue.float32;
}

/**
 * The trunk as the hub's split sessions drive it: frame bytes in, frame bytes out, and its state as
 * bytes for the hub's checkpoint. The tfjs implementation is HubTrunk (the site's training engine); the
 * process that starts the hub hands one in, so the hub itself imports no tfjs.
 */
export interface SplitTrunkEngine {
  /** The trunk's output for a `cut1-activations` frame; a retry of the open step gets the same bytes. */
  forwardTrunk(frame: Uint8Array): Promise<Uint8Array>;
  /** The gradient at cut 1 for the open step's `cut2-gradient`, the trunk updated once. */
  backwardTrunk(frame: Uint8Array): Promise<{ readonly frame: Uint8Array }>;
  /**
   * The trunk's output in inference for a `cut1-evaluation` frame (a site's held-back images, for its
   * hijack check): opens no step, updates nothing, and may run while another site's step is open.
   */
  evaluateTrunk(frame: Uint8Array): Promise<Uint8Array>;
  /**
   * Label sharing (the head at the hub): one message holds a step's labels frame and its activations at
   * cut 1 (labels-frame.ts); the trunk and the head run, the loss is taken on the labels, both are
   * updated once, and the gradient at cut 1 is the answer. The session's last finished step repeated
   * gets the same answer. Absent on a trunk that has no head (the U-shape).
   */
  labelledStep?(message: Uint8Array): Promise<{ readonly frame: Uint8Array }>;
  /** Drops a session's open step (its site went quiet). */
  abandon(session: string): void;
  /**
   * Forgets a session that is over (its site has moved on to newer sessions): its last step's answer,
   * kept for a retry, goes. Without it the answers of every session ever opened stay in the trunk's
   * memory and in each checkpoint. Absent on an engine that keeps no answers.
   */
  forget?(session: string): void;
  /** The last step of `session` the trunk applied, or -1. */
  finishedStep(session: string): number;
  /** Steps applied since the trunk was made, across every session (each (session, step) once). */
  readonly appliedSteps: number;
  /** Values per image of the frames the trunk takes: activations at cut 1, gradient at cut 2. */
  readonly incomingValuesPerImage: readonly number[];
  /** Weights, optimizer state and each session's last step with its answer, as one byte string. */
  checkpoint(): Promise<Uint8Array>;
  restore(checkpoint: Uint8Array): void;
}
