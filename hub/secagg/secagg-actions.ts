// What a site does in a secure round, as the hub takes it: send its round keys, send shares for its
// neighbours, reveal shares at unmasking, and read its own view of the round. Each checks the phase and
// that the site belongs there; each is idempotent (a retry after a lost answer changes nothing). Each
// action checks and writes in one transaction under the round's lock, so a phase never moves between
// the check and the write (on any replica).
import { neighboursOf, roundKeysSignatureValid } from '../../shared/node/secagg/index.ts';
import {
  type AdvertiseKeysRequest,
  type SecAggPhase,
  type SecAggPlan,
  type SecAggView,
  type SharesRequest,
  type UnmaskRequest,
} from '../../shared/federation/index.ts';
import { isoAt, type HubContext } from '../hub-context.ts';
import { badRequest, conflict, forbidden, notFound } from '../hub-errors.ts';
import { lockKeys, type HubRows, type SiteRow, type TaskRow } from '../store/index.ts';
import { definitionOf } from '../tasks.ts';
import {
  listedParticipantView,
  planOf,
  SecAggRows,
  type ParticipantRow,
  type SecAggRoundRow,
} from './secagg-rows.ts';

interface Located {
  rows: SecAggRows;
  state: SecAggRoundRow;
  phase: SecAggPhase;
}

async function locate(store: HubRows, task: TaskRow, round: number): Promise<Located> {
  if (!definitionOf(task).privacy.secureAggregation.enabled) {
    throw conflict('no-secure-aggregation', `Task ${task.id} does not use secure aggregation.`);
  }
  const rows = new SecAggRows(store.sql);
  const state = await rows.round(task.id, round);
  const roundRow = await store.tasks.round(task.id, round);
  if (!state || !roundRow) throw notFound('no-round', `Round ${round} of task ${task.id} has not started.`);
  const phase: SecAggPhase =
    roundRow.state === 'published'
      ? 'done'
      : roundRow.state === 'failed'
        ? 'failed'
        : roundRow.state === 'aggregating'
          ? 'aggregating'
          : state.phase;
  return { rows, state, phase };
}

function requirePhase(located: Located, wanted: SecAggPhase, round: number): void {
  if (located.phase !== wanted) {
    throw conflict(
      'secagg-phase-over',
      `Round ${round} is in its ${located.phase} phase, not ${wanted}; fetch the round again and follow it.`,
    );
  }
}

function neighbourhood(rows: ParticipantRow[], own: ParticipantRow, plan: SecAggPlan): ParticipantRow[] {
  const positions = new Set(neighboursOf(own.position as number, plan.participants, plan.neighbours));
  return rows.filter((row) => row.position !== null && positions.has(row.position));
}

async function placed(
  located: Located,
  taskId: string,
  round: number,
  site: SiteRow,
): Promise<ParticipantRow> {
  const own = await located.rows.participant(taskId, round, site.id);
  if (!own || own.position === null) {
    throw forbidden(
      'not-in-round',
      `This site is not part of round ${round}: it sent no round keys in time.`,
    );
  }
  return own;
}

/** Runs a site's action in one transaction holding the round's lock. */
function underRoundLock<T>(
  ctx: HubContext,
  taskId: string,
  round: number,
  action: (tx: HubRows) => Promise<T>,
): Promise<T> {
  return ctx.store.transaction(async (tx) => {
    await tx.lock(lockKeys.round(taskId, round));
    return action(tx);
  });
}

export function advertiseKeys(
  ctx: HubContext,
  task: TaskRow,
  round: number,
  site: SiteRow,
  keys: AdvertiseKeysRequest,
): Promise<void> {
  return underRoundLock(ctx, task.id, round, (tx) => advertiseKeysIn(ctx, tx, task, round, site, keys));
}

async function advertiseKeysIn(
  ctx: HubContext,
  tx: HubRows,
  task: TaskRow,
  round: number,
  site: SiteRow,
  keys: AdvertiseKeysRequest,
): Promise<void> {
  if (!(await tx.sites.hasJoined(task.id, site.id))) {
    throw forbidden(
      'not-joined',
      `This site has not joined task ${task.id}; approve the task at the site first.`,
    );
  }
  const located = await locate(tx, task, round);
  const existing = await located.rows.participant(task.id, round, site.id);
  if (existing) {
    if (existing.mask_public_key === keys.maskPublicKey && existing.share_public_key === keys.sharePublicKey)
      return;
    throw conflict('keys-already-sent', `This site already sent other round keys for round ${round}.`);
  }
  requirePhase(located, 'advertising', round);
  // Checked here too, so that a site whose signature its neighbours would refuse hears of it at once.
  const statement = { taskId: task.id, round, siteId: site.id, ...keys };
  if (!roundKeysSignatureValid(statement, keys.signature, site.signing_public_key))
    throw badRequest(
      'bad-keys-signature',
      `The signature over this site's round keys for round ${round} is not its enrolled key's; send the keys again, signed.`,
    );
  await located.rows.insertParticipant({
    task_id: task.id,
    round,
    site_id: site.id,
    mask_public_key: keys.maskPublicKey,
    share_public_key: keys.sharePublicKey,
    self_mask_commitment: keys.selfMaskCommitment,
    keys_signature: keys.signature,
    advertised_at: isoAt(ctx),
  });
}

export function postShares(
  ctx: HubContext,
  task: TaskRow,
  round: number,
  site: SiteRow,
  body: SharesRequest,
): Promise<void> {
  return underRoundLock(ctx, task.id, round, (tx) => postSharesIn(ctx, tx, task, round, site, body));
}

async function postSharesIn(
  ctx: HubContext,
  tx: HubRows,
  task: TaskRow,
  round: number,
  site: SiteRow,
  body: SharesRequest,
): Promise<void> {
  const located = await locate(tx, task, round);
  const own = await placed(located, task.id, round, site);
  if (own.shared_at !== null) return;
  requirePhase(located, 'sharing', round);
  const plan = planOf(located.state) as SecAggPlan;
  const others = neighbourhood(await located.rows.participants(task.id, round), own, plan)
    .filter((row) => row.site_id !== site.id)
    .map((row) => row.site_id)
    .sort();
  const targets = body.shares.map((share) => share.to).sort();
  if (targets.length !== others.length || targets.some((to, i) => to !== others[i])) {
    throw badRequest(
      'bad-shares',
      `Shares go to each of this site's ${others.length} neighbours exactly once; fetch the round's plan again.`,
    );
  }
  for (const share of body.shares)
    await located.rows.insertShare(task.id, round, site.id, share.to, share.ciphertext);
  await located.rows.markShared(task.id, round, site.id, isoAt(ctx));
}

export function revealShares(
  ctx: HubContext,
  task: TaskRow,
  round: number,
  site: SiteRow,
  body: UnmaskRequest,
): Promise<void> {
  return underRoundLock(ctx, task.id, round, (tx) => revealSharesIn(ctx, tx, task, round, site, body));
}

async function revealSharesIn(
  ctx: HubContext,
  tx: HubRows,
  task: TaskRow,
  round: number,
  site: SiteRow,
  body: UnmaskRequest,
): Promise<void> {
  const located = await locate(tx, task, round);
  const own = await placed(located, task.id, round, site);
  if (own.revealed_at !== null) return;
  // The hub had t shares of every secret before this site's arrived: nothing more is needed or kept.
  if (located.phase === 'aggregating' || located.phase === 'done') return;
  requirePhase(located, 'unmasking', round);
  if (own.survivor !== 1)
    throw forbidden('not-in-round', 'Only sites whose masked input arrived take part in unmasking.');
  const plan = planOf(located.state) as SecAggPlan;
  const around = new Map(
    neighbourhood(await located.rows.participants(task.id, round), own, plan).map((row) => [
      row.site_id,
      row,
    ]),
  );
  const check = (owner: string, survivor: number) => {
    if (around.get(owner)?.survivor !== survivor) {
      throw badRequest(
        'bad-unmask',
        survivor === 1
          ? 'A self-mask share was sent for a site that is not a surviving neighbour; nothing was kept.'
          : 'A mask-key share was sent for a site that did not drop out of this neighbourhood; nothing was kept.',
      );
    }
  };
  body.selfMaskShares.forEach((s) => check(s.owner, 1));
  body.maskKeyShares.forEach((s) => check(s.owner, 0));
  for (const s of body.selfMaskShares)
    await located.rows.insertRevealed(task.id, round, site.id, s.owner, 'self-mask', s.share);
  for (const s of body.maskKeyShares)
    await located.rows.insertRevealed(task.id, round, site.id, s.owner, 'mask-key', s.share);
  await located.rows.markRevealed(task.id, round, site.id, isoAt(ctx));
}

export async function secaggView(
  ctx: HubContext,
  task: TaskRow,
  round: number,
  site: SiteRow,
): Promise<SecAggView> {
  const located = await locate(ctx.store, task, round);
  const { rows, state, phase } = located;
  const plan = planOf(state);
  const own = await rows.participant(task.id, round, site.id);
  const all = await rows.participants(task.id, round);
  const hood = plan && own && own.position !== null ? neighbourhood(all, own, plan) : [];
  const masked = (await ctx.store.uploads.acceptedUpdateOf(task.id, round, site.id)) !== undefined;
  const failureReason =
    phase === 'failed' ? ((await ctx.store.tasks.round(task.id, round))?.failure_reason ?? null) : null;
  const incoming =
    afterSharingPhase(phase) && own?.shared_at != null ? await rows.sharesTo(task.id, round, site.id) : [];
  const unmasking = own?.survivor === 1 && phase === 'unmasking';
  const inHood = new Set(hood.map((row) => row.site_id));
  return {
    taskId: task.id,
    round,
    phase,
    deadlineAt: phase === 'done' || phase === 'failed' ? null : state.deadline_at,
    failureReason,
    plan,
    position: own?.position ?? null,
    neighbours: await Promise.all(
      hood.map(async (row) =>
        listedParticipantView(row, (await ctx.store.sites.site(row.site_id))?.signing_public_key ?? ''),
      ),
    ),
    done: {
      advertised: own !== undefined,
      shared: own?.shared_at != null,
      masked,
      revealed: own?.revealed_at != null,
    },
    incomingShares: incoming
      .filter((row) => inHood.has(row.from_site))
      .map((row) => ({ from: row.from_site, ciphertext: row.ciphertext })),
    survived: unmasking ? hood.filter((row) => row.survivor === 1).map((row) => row.site_id) : null,
    dropped: unmasking ? hood.filter((row) => row.survivor === 0).map((row) => row.site_id) : null,
  };
}

/** Whether this site has something to do in the secure round now (the round view's `mayUpload`). */
/** Whether the site has its next SecAgg+ step to take; read through `rows` (the round view's snapshot). */
export async function secureActionPending(
  rows: HubRows,
  task: TaskRow,
  round: number,
  site: SiteRow,
): Promise<boolean> {
  const secagg = new SecAggRows(rows.sql);
  const state = await secagg.round(task.id, round);
  if (!state) return false;
  const own = await secagg.participant(task.id, round, site.id);
  switch (state.phase) {
    case 'advertising':
      return own === undefined && (await rows.sites.hasJoined(task.id, site.id));
    case 'sharing':
      return own?.position != null && own.shared_at === null;
    case 'masking':
      return own?.shared_at != null && !(await rows.uploads.acceptedUpdateOf(task.id, round, site.id));
    case 'unmasking':
      return own?.survivor === 1 && own.revealed_at === null;
  }
}

export function securePhase(
  rows: HubRows,
  taskId: string,
  round: number,
): Promise<SecAggRoundRow | undefined> {
  return new SecAggRows(rows.sql).round(taskId, round);
}

function afterSharingPhase(phase: SecAggPhase): boolean {
  return ['masking', 'unmasking', 'aggregating', 'done'].includes(phase);
}
