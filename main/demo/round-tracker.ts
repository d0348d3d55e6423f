// Follows the sites' federation events during the demo: prints progress as it happens and keeps, per
// round, its duration, training time per site and bytes each site sent.
import type { SyncEvent } from '../site/federation/index.ts';
import { formatBytes } from './byte-size.ts';

/** What a split-learning round's steps cost at one site, as its 'trained' event carries them. */
export type SplitRoundFigures = NonNullable<Extract<SyncEvent, { type: 'trained' }>['split']>;

export interface RoundFigures {
  round: number;
  /** From the first site starting to train to the round's model being published. */
  seconds: number | null;
  trainSeconds: Record<string, number>;
  bytesSent: Record<string, number>;
  /** The learning rate each site's trainer used in the round, as it reported it (the task's schedule). */
  learningRates: Record<string, number>;
  /** Split learning: each site's steps over its session this round (bytes each way, each step's time). */
  split: Record<string, SplitRoundFigures>;
  /** The global model of this round on the sites' validation images (hub's weighted mean). */
  validation: { loss: number | null; auc: number | null; sites: number } | null;
  version: number | null;
  /**
   * The round's global model on the pooled test set (held-out patients), scored by the demo after the
   * federation; null until then, and where the model was not kept.
   */
  testAuc: number | null;
}

/** A site's update that did not count in a round, and the site's own reason. */
export interface MissedSiteRound {
  readonly round: number;
  readonly site: string;
  readonly reason: string;
}

export class RoundTracker {
  readonly rounds = new Map<number, RoundFigures & { startedAt: number | null }>();
  readonly problems: string[] = [];
  readonly missed: MissedSiteRound[] = [];

  constructor(
    private readonly siteCount: number,
    private readonly say: (line: string) => void,
    private readonly now: () => number = () => performance.now(),
    /**
     * What the hub does with the updates, for the round's line: averages them (plain), unmasks only
     * their sum (secure aggregation), or adds ciphertexts it cannot read (homomorphic encryption).
     */
    private readonly protection: 'plain' | 'masked' | 'homomorphic' = 'plain',
  ) {}

  private round(n: number) {
    let entry = this.rounds.get(n);
    if (!entry) {
      entry = {
        round: n,
        seconds: null,
        trainSeconds: {},
        bytesSent: {},
        learningRates: {},
        split: {},
        validation: null,
        version: null,
        testAuc: null,
        startedAt: null,
      };
      this.rounds.set(n, entry);
    }
    return entry;
  }

  on(site: string, event: SyncEvent): void {
    switch (event.type) {
      case 'round-started': {
        // A site two rounds on: a site that has still not reported round N - 2 has gone silent.
        this.sayRoundLines((round) => round <= event.round - 2);
        const r = this.round(event.round);
        r.startedAt ??= this.now();
        if (event.resumed) this.say(`Round ${event.round}: ${site} resumes its interrupted work.`);
        return;
      }
      case 'trained':
        this.round(event.round).trainSeconds[site] = event.seconds;
        if (event.learningRate !== undefined)
          this.round(event.round).learningRates[site] = event.learningRate;
        if (event.split) this.round(event.round).split[site] = event.split;
        return;
      case 'submitted':
        this.round(event.round).bytesSent[site] = event.bytes - event.resumedFromBytes;
        this.sayRoundLines();
        return;
      case 'round-published': {
        const r = this.round(event.round);
        if (r.seconds === null && r.startedAt !== null) {
          r.seconds = (this.now() - r.startedAt) / 1000;
          r.version = event.version;
          // The sites report over separate pipes: one site's 'round-published' can arrive before another
          // site's 'submitted' for the same round, so the line waits until every site is accounted for.
          this.awaitingLine.add(event.round);
          this.sayRoundLines();
        }
        return;
      }
      case 'evaluated': {
        const r = this.round(event.round);
        r.version = event.version;
        r.validation = event.federated;
        if (event.federated.sites === this.siteCount) {
          const auc = event.federated.auc === null ? 'n/a' : event.federated.auc.toFixed(3);
          this.say(
            `Round ${event.round}: global model v${event.version} on the ${this.siteCount} sites' validation images: AUC ${auc}.`,
          );
        }
        return;
      }
      case 'refused':
      case 'missed':
      case 'problem': {
        if (event.type === 'missed') {
          this.missed.push({ round: event.round, site, reason: event.reason });
          this.sayRoundLines();
        }
        const where = 'round' in event ? `Round ${event.round}: ` : '';
        const line = `${where}${site}: ${'reason' in event ? event.reason : event.message}`;
        this.problems.push(line);
        this.say(line);
        return;
      }
      case 'retrying':
        this.say(`${site}: ${event.message} (trying again)`);
        return;
      default:
        return;
    }
  }

  /** Rounds published whose line waits for the other sites' 'submitted' (or 'missed') events. */
  private readonly awaitingLine = new Set<number>();

  /**
   * Says the line of each published round whose sites have all reported (sent, or missed it), and of each
   * round `overAnyway` says is over whatever has not arrived.
   */
  private sayRoundLines(overAnyway: (round: number) => boolean = () => false): void {
    for (const round of [...this.awaitingLine].sort((a, b) => a - b)) {
      const r = this.round(round);
      const missed = this.missed.filter((m) => m.round === round).map((m) => m.site);
      const reported = new Set([...Object.keys(r.bytesSent), ...missed]).size;
      if (reported < this.siteCount && !overAnyway(round)) continue;
      this.awaitingLine.delete(round);
      this.sayRoundLine(r);
    }
  }

  private sayRoundLine(r: RoundFigures): void {
    const train = Object.values(r.trainSeconds);
    const sent = Object.values(r.bytesSent);
    const range =
      train.length > 0 ? `${Math.min(...train).toFixed(1)}\u2013${Math.max(...train).toFixed(1)} s` : '?';
    const each = sent.length > 0 ? formatBytes(Math.max(...sent)) : '?';
    const sites = sent.length === 1 ? '1 site trained' : `${sent.length} sites trained`;
    this.say(
      `Round ${r.round}: ${sites} (${range}) and each sent ${each} ` +
        {
          plain: `(compressed, encrypted); the hub averaged them into global model v${r.version} `,
          masked: `(masked, encrypted); the hub unmasked only their sum and made global model v${r.version} `,
          homomorphic:
            `(encrypted homomorphically); the hub added the ciphertexts without reading them, and each ` +
            `site decrypts the sum into global model v${r.version} `,
        }[this.protection] +
        `(${(r.seconds ?? 0).toFixed(1)} s for the round).`,
    );
  }

  /** Says the lines still waiting (the federation has ended: nothing more will arrive). */
  flush(): void {
    this.sayRoundLines(() => true);
  }

  figures(): RoundFigures[] {
    return [...this.rounds.values()]
      .sort((a, b) => a.round - b.round)
      .map(({ startedAt: _startedAt, ...figures }) => figures);
  }
}
