// Differential privacy in swarm rounds: DP-FedAvg (McMahan et al. 2018) as a hub task runs it
// (main/site/federation/dp-fedavg.ts), with the elected leader in the hub's role.
// - Each member clips its update to L2 norm C and adds N(0, (zC)²/m) to every value before masking,
//   m = the task's minimumParticipants. Independent Gaussians add their variances, so a sum of at
//   least m updates carries at least the full N(0, (zC)²); the leader, which learns only the sum,
//   never sees an update with less than its share of noise, and a sum of fewer than m is never
//   committed (the leader does not propose it; members refuse to countersign it).
// - Accounting: every member may take part in every round (no sampling, q = 1), so each committed
//   round is one Gaussian release with noise multiplier z, RDP α/(2z²), as the hub's accountant counts
//   it (shared/federation/privacy-accounting.ts). The aggregate-commit entry records the swarm's ε after
//   that round (the worst case: a member in every round); each member's own ε counts the rounds whose
//   participants name it, read from its ledger, and a member stops contributing before its budget
//   would be exceeded.
import {
  anotherRoundFits,
  dpFedAvgSchema,
  privacySpentAfter,
  type DpFedAvgSettings,
  type NamedTensor,
} from '../../../shared/federation/index.ts';
import { cryptoGaussian, type GaussianSource } from '../../../shared/node/privacy/index.ts';
import type { SignedEntry } from './ledger-entry.ts';
import { SwarmError } from './swarm-error.ts';
import type { SwarmTask } from './swarm-task.ts';

/** The task's DP settings as the shared accountant reads them; null when the task has none. */
export function swarmDpSettings(task: SwarmTask): DpFedAvgSettings | null {
  const dp = task.differentialPrivacy;
  if (!dp) return null;
  const parsed = dpFedAvgSchema.safeParse({
    unit: 'site',
    clipNorm: dp.clipNorm,
    noiseMultiplier: dp.noiseMultiplier,
    budget: dp.budget,
  });
  if (!parsed.success)
    throw new SwarmError(
      'bad-message',
      `The swarm task's privacy settings are not usable: ${parsed.error.issues[0]?.message}`,
    );
  return parsed.data;
}

/** ε (at the task's δ) after `rounds` noised rounds; 0 without DP. */
export function swarmEpsilonAfter(task: SwarmTask, rounds: number): number {
  const dp = swarmDpSettings(task);
  return dp === null || rounds === 0 ? 0 : privacySpentAfter(dp, rounds).epsilon;
}

/** The aggregate-commit entries of a ledger, in order. */
function aggregates(entries: readonly SignedEntry[]) {
  return entries.flatMap((signed) =>
    signed.entry.body.kind === 'aggregate-commit' ? [signed.entry.body] : [],
  );
}

/** The swarm's ε once round `round` commits: every committed round before it, and this one. */
export function swarmEpsilonForRound(
  task: SwarmTask,
  entries: readonly SignedEntry[],
  round: number,
): number {
  const before = aggregates(entries).filter((body) => body.round < round).length;
  return swarmEpsilonAfter(task, before + 1);
}

/** This member's own spending: the committed rounds that name it as a participant. */
export function memberPrivacySpent(
  task: SwarmTask,
  entries: readonly SignedEntry[],
  member: string,
): { rounds: number; epsilon: number } {
  const rounds = aggregates(entries).filter((body) => body.participants.includes(member)).length;
  return { rounds, epsilon: swarmEpsilonAfter(task, rounds) };
}

/** Throws when one more round would take this member past the task's budget. */
export function assertMemberBudgetAllows(task: SwarmTask, roundsTakenPart: number): void {
  const dp = swarmDpSettings(task);
  if (dp !== null && !anotherRoundFits(dp, roundsTakenPart))
    throw new SwarmError(
      'round-failed',
      `This site has spent its privacy budget for the task (ε ${swarmEpsilonAfter(task, roundsTakenPart).toFixed(2)} of ` +
        `${dp.budget.epsilon} after ${roundsTakenPart} rounds); it sends no further update. The swarm goes on without it.`,
    );
}

export interface NoisedUpdate {
  readonly delta: NamedTensor[];
  /** The update's L2 norm before clipping (stays at the member). */
  readonly norm: number;
  /** The noise std this member added to each value. */
  readonly noiseStd: number;
}

/** Clips the update to the task's C and adds this member's share of the noise; unchanged without DP. */
export function noiseSwarmUpdate(
  delta: readonly NamedTensor[],
  task: SwarmTask,
  gaussian: GaussianSource = cryptoGaussian,
): NoisedUpdate {
  const dp = task.differentialPrivacy;
  let sum = 0;
  for (const tensor of delta) for (const value of tensor.data) sum += value * value;
  const norm = Math.sqrt(sum);
  if (!dp) return { delta: [...delta], norm, noiseStd: 0 };
  // Float32 rounding can leave the clipped norm a hair above C; the factor is nudged down to keep it.
  const scale = norm > dp.clipNorm ? (dp.clipNorm / norm) * (1 - 1e-6) : 1;
  const noiseStd = (dp.noiseMultiplier * dp.clipNorm) / Math.sqrt(dp.minimumParticipants);
  return {
    norm,
    noiseStd,
    delta: delta.map((tensor) => {
      const noise = gaussian(tensor.data.length);
      return {
        name: tensor.name,
        shape: [...tensor.shape],
        data: tensor.data.map((value, i) => value * scale + noiseStd * (noise[i] as number)),
      };
    }),
  };
}
