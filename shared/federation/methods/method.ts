// What a federation method is, in one record (the way Flower's serverapp/strategy/fedavgm.py holds a
// whole strategy): who takes part in a round, how the updates combine, what the combiner keeps between
// rounds, what each site does, and which privacy layers the method allows (with the reason when it
// refuses one). The hub, the site agent and the task checks look a method up in the registry (index.ts)
// and read this record; none of them branches on a method's name.
import type { FedAdamState } from '../fed-adam.ts';
import type { CutFrameDtype, CutFrameKind, SplitDefences } from '../split/index.ts';
import type { FedAvgMState } from '../fed-avgm.ts';
import type { NamedTensor, WeightSet } from '../tensors.ts';
import type { SiteUpdate, WeightedDeltaSum } from '../weighted-delta-sum.ts';
import type { Strategy, StrategyName } from './strategy-schema.ts';

/**
 * Optimiser state the combiner keeps between rounds (FedAdam's moments, FedAvgM's velocity); null for
 * stateless methods.
 */
export type ServerOptimizerState = FedAdamState | FedAvgMState | null;

export interface AggregationResult {
  readonly weights: NamedTensor[];
  readonly serverState: ServerOptimizerState;
}

/** A privacy layer a method takes, or refuses with a sentence that says why and what to choose. */
export type Allowance = { readonly allowed: true } | { readonly allowed: false; readonly reason: string };

export interface PrivacyLayers {
  /** SecAgg+: the combiner learns only the sum of the updates. Refused by methods that need each one. */
  readonly secureAggregation: Allowance;
  /** DP-FedAvg: each site clips its update and adds its share of Gaussian noise. */
  readonly differentialPrivacy: Allowance;
  /**
   * Additive homomorphic encryption (planned): the combiner adds ciphertexts and sees nothing. Only a
   * method whose combine step is a (weighted) sum followed by arithmetic the sites can do after they
   * decrypt fits. No task setting asks for it yet; the slot is here so the check is one lookup then.
   */
  readonly homomorphic: Allowance;
}

/** Who takes part in a round, and what the round waits for. Site ids are in the order sites joined. */
export interface Participation {
  /**
   * Accepted updates a round needs before it may close, for a task's quorum (without secure
   * aggregation, which has its own).
   */
  neededUpdates(quorum: number): number;
  /** The one site that may send in this round, or null when every joined site may. */
  turn(joinedSiteIds: readonly string[], round: number): string | null;
  /** The sites the round waits for before it closes early (before its deadline). */
  awaited(joinedSiteIds: readonly string[], turn: string | null): string[];
  /** Why a round failed at its deadline, given names of the sites that sent nothing. */
  deadlineMissed(missed: { accepted: number; needed: number; missingNames: readonly string[] }): string;
  /** The refusal a site gets that sends when it is not its turn. */
  notYourTurn(round: number): string;
  /**
   * How many updates are added into one sum each round when they are summed blind (secure
   * aggregation): differential privacy splits each round's noise over that many sites.
   */
  summedUpdates(quorum: number): number;
  /** A task that names `namedSites` sites and asks for `quorum` of them: why no round could complete. */
  quorumProblem(quorum: number, namedSites: number): string | null;
}

/**
 * How the round's updates become the next global model. A summing method's step sees only the
 * weighted sum, so the hub can stream the updates, and secure aggregation (or a homomorphic sum) can
 * stand in for it; a method that needs each update gets them all at once.
 */
export type Combination =
  | {
      readonly input: 'sum';
      step(global: WeightSet, sum: WeightedDeltaSum, state: ServerOptimizerState): AggregationResult;
    }
  | {
      readonly input: 'each-update';
      step(global: WeightSet, updates: readonly SiteUpdate[]): AggregationResult;
    };

/** The combiner's state between rounds as tensors (stored as one weights blob) and back. */
export interface ServerStateCodec {
  /** The state's tensors, each named with a prefix saying what it is (u/…, m/…, v/…). */
  toTensors(state: NonNullable<ServerOptimizerState>): NamedTensor[];
  fromTensors(tensors: readonly NamedTensor[], step: number): ServerOptimizerState;
}

/** What a site does for the method. */
export interface SiteDuties {
  /**
   * What the site sends: per round, the change it made to the global model ('weight-delta'); or per
   * step the activations and gradients at the cuts, and per round the change to its own segments
   * ('activations': split learning, described by the record's `steps`).
   */
  readonly contributes: 'weight-delta' | 'activations';
  /**
   * The method in the words of the approval text: what the combiner does with this site's update,
   * given how the update is weighed in an average (a method that averages says which; the approval
   * text always passes it, and without it the weighting is by training images).
   */
  describe(weighting?: UpdateWeighting): string;
}

/**
 * How an average weighs a site's update: by its number of training images, or each site the same. With
 * differential privacy (either unit) a site sends the weight 1: its image count would tell, without
 * noise, whether one more patient is in its cohort.
 */
export type UpdateWeighting = 'training-images' | 'equal';

/** The weighting in the approval text's words ("the hub averages the sites' updates, …"). */
export function weightingWords(weighting: UpdateWeighting = 'training-images'): string {
  return weighting === 'equal'
    ? 'each site\u2019s update counting the same (this task has differential privacy, so sites do not send their number of images)'
    : 'weighted by their number of training images';
}

export interface FederationMethod {
  readonly name: StrategyName;
  /**
   * How often sites and the combiner exchange: once per round (an update), or once per training step
   * (split learning's activations and gradients, with a per-round combine of the site segments).
   */
  readonly rhythm: 'round' | 'step';
  /**
   * Who runs `combine`: the hub; a site the swarm's ledger elects for the round (the same record,
   * run by that site); or nobody, when the model only moves from site to site.
   */
  readonly combiner: 'hub' | 'elected-site' | 'none';
  readonly participation: Participation;
  readonly combine: Combination;
  /** Null for methods that keep nothing between rounds. */
  readonly serverState: ServerStateCodec | null;
  readonly site: SiteDuties;
  readonly privacy: PrivacyLayers;
  /** The per-step exchange of a method whose rhythm is 'step' (split learning); absent otherwise. */
  readonly steps?: StepExchange;
  /**
   * Why no task may use the method yet, in words for the coordinator (a part it needs is not built);
   * absent when it is ready. The hub refuses such a task at creation, so none is made that cannot run.
   */
  readonly unavailable?: string;
  /**
   * A problem with the task's other settings that only this method has (split learning's NoPeek grows
   * with the square of the batch), as the task check reports it; absent or null when there is none.
   */
  readonly taskProblem?: (task: { readonly batchSize: number }) => MethodTaskProblem | null;
}

/** A task setting the method cannot run with: where it is in the task, and what to change. */
export interface MethodTaskProblem {
  readonly path: string;
  readonly message: string;
}

/**
 * What crosses between a site and the hub on each training step of split learning (U-shaped
 * SplitFed): which segment runs where, which frames go up and down, and in which dtype.
 */
export interface StepExchange {
  /** Where the head (cut 2 → loss) runs: at the site with its labels, or at the hub (label sharing). */
  readonly headAt: 'site' | 'hub';
  /** The model's cut points (stage names), or null for the model's own. */
  readonly cuts: { readonly cut1: string; readonly cut2: string } | null;
  readonly frameDtype: CutFrameDtype;
  /** The defences each site applies at the cuts (NoPeek, activation noise, max norm), or null for none. */
  readonly defences: SplitDefences | null;
  /**
   * What goes from the site to the hub, in step order: cut frames, and with label sharing the batch's
   * labels (no frame for them exists yet; label sharing is described, not built).
   */
  readonly up: readonly (CutFrameKind | 'labels')[];
  /** Frame kinds from the hub to the site, in step order. */
  readonly down: readonly CutFrameKind[];
}

/** A method made from its task settings (Flower's `FedAvgM(server_momentum=…)`). */
export type MethodFactory<N extends StrategyName> = (
  settings: Extract<Strategy, { name: N }>,
) => FederationMethod;
