// What a federation of the demo cost and who took part: every site in every round or not, the bytes
// one site sent per round, the time, the AUC of its last global models. `radfed demo --compare` sets
// these figures of every method side by side (compare-demo.ts, compare-report.ts).
import type { FederationRun } from './demo-federation.ts';
import type { MissedSiteRound } from './round-tracker.ts';
import { formatBytes, formatPercent } from './byte-size.ts';

export interface FederationFigures {
  /** What protected the updates, in words ("secure aggregation", "no added protection"). */
  readonly protection: string;
  readonly secureAggregation: boolean;
  /** Homomorphic encryption: the hub saw no update, nor their sum, nor the model. */
  readonly homomorphic?: boolean;
  readonly auc: number | null;
  readonly accuracy: number;
  /** Published rounds × sites, and how many of those had the site's update in the round. */
  readonly siteRounds: number;
  readonly siteRoundsIn: number;
  /** Updates that did not count, with each site's own reason. */
  readonly missed: readonly MissedSiteRound[];
  /** Mean bytes one site sent per round: the update as uploaded (masked or compressed), sealed. */
  readonly bytesPerSitePerRound: number;
  /** Wall time of the federation, from the site agents' start to their stop. */
  readonly seconds: number;
  /** ε spent, in words, with differential privacy; null without. */
  readonly epsilon: string | null;
  /**
   * Test AUC of the last few global models: from one round to the next it moves by a few hundredths,
   * so two federations are compared on this mean as well as on the last model alone.
   */
  readonly lastRounds: LastRoundsAuc;
}

export interface LastRoundsAuc {
  readonly rounds: number;
  readonly meanAuc: number | null;
  readonly minAuc: number | null;
  readonly maxAuc: number | null;
}

/** How many of the last global models the comparison averages. */
export const LAST_ROUNDS = 10;

export function lastRoundsAuc(aucs: readonly (number | null)[]): LastRoundsAuc {
  const known = aucs.filter((a): a is number => a !== null);
  return {
    rounds: aucs.length,
    meanAuc: known.length > 0 ? known.reduce((a, b) => a + b, 0) / known.length : null,
    minAuc: known.length > 0 ? Math.min(...known) : null,
    maxAuc: known.length > 0 ? Math.max(...known) : null,
  };
}

export function federationFigures(
  run: FederationRun,
  siteCount: number,
  metrics: { auc: number | null; accuracy: number },
  epsilon: string | null,
  lastRounds: LastRoundsAuc,
): FederationFigures {
  const published = run.rounds.filter((r) => r.version !== null);
  const sent = published.flatMap((r) => Object.values(r.bytesSent));
  return {
    protection: run.task.protection,
    secureAggregation: run.task.privacy.secureAggregation,
    homomorphic: run.task.privacy.homomorphic === true,
    auc: metrics.auc,
    accuracy: metrics.accuracy,
    siteRounds: published.length * siteCount,
    siteRoundsIn: sent.length,
    missed: run.missed,
    bytesPerSitePerRound: sent.length > 0 ? sent.reduce((a, b) => a + b, 0) / sent.length : 0,
    seconds: run.seconds,
    epsilon,
    lastRounds,
  };
}

/** Who took part, what one site sent, and (with DP) the guarantee: lines under the rounds table. */
export function describeFederation(f: FederationFigures, modelBytes: number): string[] {
  const lines: string[] = [];
  const everyone = f.siteRoundsIn === f.siteRounds;
  lines.push(
    `${capital(f.protection)}: ${everyone ? 'every site in every round' : `${f.siteRounds - f.siteRoundsIn} of ${f.siteRounds} site-rounds missed`} ` +
      `(${f.siteRoundsIn} of ${f.siteRounds} site-rounds); each site sent ${formatBytes(f.bytesPerSitePerRound)} per round ` +
      `(${formatPercent(f.bytesPerSitePerRound, modelBytes)} of the raw float32 model)` +
      (f.homomorphic
        ? '; the hub saw no update, nor their sum, nor the model.'
        : f.secureAggregation
          ? '; the hub learned only the sum of the updates.'
          : '.'),
  );
  if (!everyone) {
    const bySite = new Map<string, number>();
    for (const m of f.missed) bySite.set(m.site, (bySite.get(m.site) ?? 0) + 1);
    const first = f.missed[0];
    lines.push(
      `Missed: ${[...bySite].map(([site, n]) => `${site} ${n}`).join(', ') || 'rounds that failed'}` +
        `${first ? `; the first, round ${first.round} at ${first.site}: ${first.reason}` : ''}`,
    );
  }
  if (f.epsilon !== null) {
    lines.push(
      `Privacy spent: ${f.epsilon}. With three sites, noise strong enough for a small \u03b5 drowns the updates: differential privacy is meant for federations of many sites.`,
    );
  }
  return lines;
}

function capital(words: string): string {
  return words.charAt(0).toUpperCase() + words.slice(1);
}
