// A site that takes part in a secure round by hand, step by step, through the real routes and the
// real SecAgg+ functions: the hub tests use it to stop a site between phases (a dropout) or kill the
// hub between them.
import { z } from 'zod';
import {
  sealForHub,
  sha256Hex,
  uploadContext,
  type HubClient,
  type SealedUpdate,
} from '../../shared/node/federation/index.ts';
import {
  encodeWeights,
  type NamedTensor,
  secaggPaths,
  secaggViewSchema,
  type SecAggView,
  type TaskDefinitionInput,
} from '../../shared/federation/index.ts';
import {
  appendClipBit,
  encodeMaskedInput,
  makeShares,
  maskInput,
  openShares,
  signedAdvertisement,
  quantiseUpdate,
  revealShares,
  newRoundSecrets,
  type HeldShares,
} from '../../shared/node/secagg/index.ts';
import type { RunningHub } from '../server/start-hub.ts';
import { createTask } from '../tasks.ts';
import { waitFor, waitForCollecting } from './test-hub.ts';

const ok = z.object({ ok: z.literal(true) });

export class SecureTestSite {
  readonly secrets = newRoundSecrets();
  private held: HeldShares = {};
  private own: { selfMask: string; maskKey: string } | null = null;
  weight = 0;

  constructor(
    readonly client: HubClient,
    readonly taskId: string,
    readonly round: number,
  ) {}

  view(): Promise<SecAggView> {
    return this.client.call(secaggViewSchema, 'GET', secaggPaths.view(this.taskId, this.round));
  }

  advertise() {
    return this.client.call(
      ok,
      'POST',
      secaggPaths.keys(this.taskId, this.round),
      signedAdvertisement(
        this.secrets,
        { taskId: this.taskId, round: this.round, siteId: this.client.siteId },
        (bytes) => this.client.signStatement(bytes),
      ),
    );
  }

  async share(): Promise<void> {
    const view = await this.view();
    const made = await makeShares({
      secrets: this.secrets,
      siteId: this.client.siteId,
      neighbours: view.neighbours,
      threshold: view.plan!.threshold,
      context: { taskId: this.taskId, round: this.round },
    });
    this.own = made.own;
    await this.client.call(ok, 'POST', secaggPaths.shares(this.taskId, this.round), made.request);
  }

  /**
   * Masks `delta` (weighted by `examples`, with a noised clipping bit if given) and uploads it.
   * `tamper` changes the integer vector before it is masked: a hostile site's own input.
   */
  async mask(
    delta: readonly NamedTensor[],
    examples: number,
    baseVersion: number,
    clipBit?: number,
    tamper?: (vector: Uint32Array) => void,
  ) {
    const view = await this.view();
    const context = { taskId: this.taskId, round: this.round };
    this.held = {
      ...openShares({
        incoming: view.incomingShares,
        secrets: this.secrets,
        siteId: this.client.siteId,
        neighbours: view.neighbours,
        context,
      }),
      [this.client.siteId]: this.own!,
    };
    const quantised = quantiseUpdate(delta, examples, view.plan!);
    this.weight = quantised.weight;
    const vector =
      clipBit === undefined
        ? quantised.vector
        : appendClipBit(quantised.vector, clipBit, view.plan!.participants);
    tamper?.(vector);
    const sharing = new Set(view.incomingShares.map((s) => s.from));
    const me = view.neighbours.find((n) => n.siteId === this.client.siteId)!;
    maskInput(
      vector,
      { ...me, ...this.secrets },
      view.neighbours.filter((n) => sharing.has(n.siteId)),
      context,
    );
    const bytes = sealForHub(
      encodeMaskedInput(vector),
      this.client.hub.exchangePublicKey,
      uploadContext({ taskId: this.taskId, round: this.round, siteId: this.client.siteId, kind: 'delta' }),
    );
    const sealed: SealedUpdate = {
      round: this.round,
      kind: 'delta',
      baseVersion,
      examples: 1,
      compression: 'none',
      siteId: this.client.siteId,
      sealed: bytes,
      sha256: sha256Hex(bytes),
    };
    return this.client.uploadSealed(this.taskId, sealed);
  }

  async reveal(): Promise<void> {
    const view = await this.view();
    if (view.phase !== 'unmasking') return; // the hub had enough shares already and moved on
    const { request } = revealShares({
      held: this.held,
      survived: view.survived ?? [],
      dropped: view.dropped ?? [],
      threshold: view.plan!.threshold,
    });
    await this.client.call(ok, 'POST', secaggPaths.unmask(this.taskId, this.round), request);
  }
}

/**
 * Round 1 of a new secure task at `hub` (made from `definition` and `base`), joined by every one of
 * `clients` (declaring `cohort`), each of which has advertised its keys: returns once the round is
 * in its sharing phase, with the sites that take part by hand.
 */
export async function startSecureRound(
  hub: RunningHub,
  clients: readonly HubClient[],
  task: {
    definition: TaskDefinitionInput;
    base: NamedTensor[];
    cohort?: Parameters<HubClient['joinTask']>[1];
  },
): Promise<{ taskId: string; sites: SecureTestSite[] }> {
  const taskId = (await createTask(hub.ctx, task.definition, encodeWeights(task.base))).id;
  for (const client of clients) await client.joinTask(taskId, task.cohort);
  await waitForCollecting(hub, taskId);
  const sites = clients.map((client) => new SecureTestSite(client, taskId, 1));
  for (const site of sites) await site.advertise();
  await waitFor(hub, async () => (await sites[0]!.view()).phase === 'sharing', 'the sharing phase');
  return { taskId, sites };
}
