// One whole secure-aggregation round in one process, sites and hub alike, through the same functions
// the networked round uses: for the tests of the math (sums, dropouts, uniformity) and the benchmark.
import { randomBytes } from 'node:crypto';
import { layoutOf, type WeightSet, type Participant, type SecAggPlan } from '../../federation/index.ts';
import { maskInput, MaskedSum } from './masking.ts';
import { neighbourhoodSize, neighboursOf, orderSites, thresholdFor } from './neighbourhood.ts';
import { dequantiseSum, quantiseUpdate, vectorLength, weightCapFor } from './quantisation.ts';
import { newRoundSecrets, publicKeysOf, type RoundSecrets } from './round-keys.ts';
import { makeShares, openShares, revealShares, type HeldShares } from './share-exchange.ts';
import { unmaskSum } from './unmasking.ts';

export interface LocalSite {
  readonly siteId: string;
  readonly delta: WeightSet;
  readonly examples: number;
}

export interface LocalRoundResult {
  readonly plan: SecAggPlan;
  /** Σ w·x̂ per tensor and Σ w, as the hub gets them. */
  readonly sums: Float64Array[];
  readonly totalWeight: number;
  /** Each surviving site's masked vector, as the hub stores it (only when keepMasked). */
  readonly masked: Map<string, Uint32Array>;
  readonly weights: Map<string, number>;
  readonly maskMs: number[];
  readonly unmaskMs: number;
  /** Bytes each site sent besides its masked input: keys, encrypted shares, revealed shares. */
  readonly keyExchangeBytes: number[];
}

export async function runLocalRound(options: {
  sites: readonly LocalSite[];
  clipRange: number;
  /** Absent: running statistics are clipped to ±clipRange like the rest (plans before the setting). */
  statisticsClipRange?: number;
  bits: number;
  neighbours?: number;
  threshold?: number;
  /** Sites that share keys and then send no masked input. */
  dropAfterSharing?: readonly string[];
  keepMasked?: boolean;
}): Promise<LocalRoundResult> {
  const context = { taskId: 'task_local', round: 1 };
  const first = options.sites[0];
  if (!first) throw new Error('A round needs sites.');
  const layout = layoutOf(first.delta);
  const n = options.sites.length;
  const k = neighbourhoodSize(n, options.neighbours);
  const levels = 2 ** options.bits;
  const plan: SecAggPlan = {
    seed: randomBytes(32).toString('base64url'),
    participants: n,
    neighbours: k,
    threshold: thresholdFor(k, options.threshold),
    clipRange: options.clipRange,
    ...(options.statisticsClipRange === undefined
      ? {}
      : { statisticsClipRange: options.statisticsClipRange }),
    levels,
    weightCap: weightCapFor(n, levels),
  };
  const order = orderSites(
    plan.seed,
    options.sites.map((s) => s.siteId),
  );
  const secrets = new Map<string, RoundSecrets>();
  const participants = order.map((siteId, position): Participant => {
    const own = newRoundSecrets();
    secrets.set(siteId, own);
    return { siteId, position, ...publicKeysOf(own) };
  });
  const hood = (p: Participant) => neighboursOf(p.position, n, k).map((i) => participants[i] as Participant);
  const bytes = new Map<string, number>(order.map((id) => [id, 3 * 43]));
  const inbox = new Map<string, { from: string; ciphertext: string }[]>(order.map((id) => [id, []]));
  const held = new Map<string, HeldShares>();
  for (const p of participants) {
    const made = await makeShares({
      secrets: secrets.get(p.siteId) as RoundSecrets,
      siteId: p.siteId,
      neighbours: hood(p),
      threshold: plan.threshold,
      context,
    });
    held.set(p.siteId, { [p.siteId]: made.own });
    for (const message of made.request.shares) {
      inbox.get(message.to)?.push({ from: p.siteId, ciphertext: message.ciphertext });
      bytes.set(p.siteId, (bytes.get(p.siteId) ?? 0) + message.ciphertext.length + message.to.length);
    }
  }
  const dropped = new Set(options.dropAfterSharing ?? []);
  const sum = new MaskedSum(vectorLength(layout));
  const masked = new Map<string, Uint32Array>();
  const weights = new Map<string, number>();
  const maskMs: number[] = [];
  for (const p of participants) {
    const own = secrets.get(p.siteId) as RoundSecrets;
    Object.assign(
      held.get(p.siteId) as HeldShares,
      openShares({
        incoming: inbox.get(p.siteId) ?? [],
        secrets: own,
        siteId: p.siteId,
        neighbours: hood(p),
        context,
      }),
    );
    if (dropped.has(p.siteId)) continue;
    const site = options.sites.find((s) => s.siteId === p.siteId) as LocalSite;
    const started = performance.now();
    const { vector, weight } = quantiseUpdate(site.delta, site.examples, plan);
    maskInput(vector, { ...p, ...own }, hood(p), context);
    maskMs.push(performance.now() - started);
    weights.set(p.siteId, weight);
    if (options.keepMasked) masked.set(p.siteId, vector);
    sum.add(vector);
  }
  const survivors = participants.filter((p) => !dropped.has(p.siteId));
  const revealedSelf = new Map<string, Uint8Array[]>();
  const revealedKey = new Map<string, Uint8Array[]>();
  for (const p of survivors) {
    const around = hood(p).map((q) => q.siteId);
    const { request } = revealShares({
      held: held.get(p.siteId) as HeldShares,
      survived: around.filter((id) => !dropped.has(id)),
      dropped: around.filter((id) => dropped.has(id)),
      threshold: plan.threshold,
    });
    for (const { owner, share } of request.selfMaskShares) push(revealedSelf, owner, share);
    for (const { owner, share } of request.maskKeyShares) push(revealedKey, owner, share);
    bytes.set(p.siteId, (bytes.get(p.siteId) ?? 0) + JSON.stringify(request).length);
  }
  const started = performance.now();
  const unmasked = await unmaskSum({
    sum,
    survivors: survivors.map((p) => ({ ...p, selfMaskShares: revealedSelf.get(p.siteId) ?? [] })),
    dropped: participants
      .filter((p) => dropped.has(p.siteId))
      .map((p) => ({ ...p, maskKeyShares: revealedKey.get(p.siteId) ?? [] })),
    participants: n,
    neighbours: k,
    threshold: plan.threshold,
    context,
  });
  const { sums, totalWeight } = dequantiseSum(unmasked, layout, plan);
  const unmaskMs = performance.now() - started;
  return {
    plan,
    sums,
    totalWeight,
    masked,
    weights,
    maskMs,
    unmaskMs,
    keyExchangeBytes: order.map((id) => bytes.get(id) ?? 0),
  };
}

function push(map: Map<string, Uint8Array[]>, owner: string, share: string): void {
  const list = map.get(owner) ?? [];
  list.push(Buffer.from(share, 'base64url'));
  map.set(owner, list);
}
